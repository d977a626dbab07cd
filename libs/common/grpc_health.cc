#include "libs/common/grpc_health.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"

namespace keel {

absl::Status CheckGrpcHealth(const std::string& address, const std::string& service,
                             absl::Duration timeout) {
  return CheckGrpcHealth(address, grpc::InsecureChannelCredentials(), service, timeout);
}

absl::Status CheckGrpcHealth(const std::string& address,
                             std::shared_ptr<grpc::ChannelCredentials> credentials,
                             const std::string& service, absl::Duration timeout) {
  auto channel = grpc::CreateChannel(address, std::move(credentials));
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("health check of ", address, ": ", status.error_message()));
  }
  if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return absl::UnavailableError(
        absl::StrCat(address, " is ",
                     grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())));
  }
  return absl::OkStatus();
}

}  // namespace keel
