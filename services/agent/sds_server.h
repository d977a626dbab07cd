// SdsServer serves the workload's certificate to an Envoy sidecar over SDS
// (envoy.service.secret.v3.SecretDiscoveryService, on a unix socket), as
// Istio's agent does: the secret "default" holds the key and chain, "ROOTCA"
// the trusted roots. The protocol is libs/xds's ADS server under SDS's
// service name.
#ifndef KEEL_SERVICES_AGENT_SDS_SERVER_H_
#define KEEL_SERVICES_AGENT_SDS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "envoy/service/secret/v3/sds.grpc.pb.h"
#include "grpcpp/server.h"
#include "libs/common/metrics.h"
#include "libs/xds/ads_server.h"
#include "services/agent/certificate_manager.h"

namespace keel::agent {

inline constexpr char kSecretType[] =
    "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";
inline constexpr char kWorkloadSecret[] = "default";
inline constexpr char kRootSecret[] = "ROOTCA";

class SdsServer {
 public:
  // Start listens on the unix socket `path` (mode 0600: the workload's own).
  static absl::StatusOr<std::unique_ptr<SdsServer>> Start(const std::string& path,
                                                           MetricsRegistry* metrics);
  ~SdsServer();

  // Update serves `state` and pushes it to every subscribed proxy.
  void Update(const CertificateState& state);

 private:
  class Source;
  class Service;
  SdsServer();

  std::unique_ptr<Source> source_;
  std::unique_ptr<xds::AdsServer> ads_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace keel::agent

#endif  // KEEL_SERVICES_AGENT_SDS_SERVER_H_
