// Asking a gRPC server whether it is serving (grpc.health.v1).
#ifndef KEEL_LIBS_COMMON_GRPC_HEALTH_H_
#define KEEL_LIBS_COMMON_GRPC_HEALTH_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/security/credentials.h"

namespace keel {

// CheckGrpcHealth asks the server at `address` for the status of `service`
// ("" for the whole server). Returns OK when SERVING, Unavailable with the
// reported status when it is not, or the RPC's error.
absl::Status CheckGrpcHealth(const std::string& address, const std::string& service = "",
                             absl::Duration timeout = absl::Seconds(2));
// The same over a channel with `credentials` (a TLS server).
absl::Status CheckGrpcHealth(const std::string& address,
                             std::shared_ptr<grpc::ChannelCredentials> credentials,
                             const std::string& service = "",
                             absl::Duration timeout = absl::Seconds(2));

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_GRPC_HEALTH_H_
