// galley: config ingestion, validation and distribution.
#include <cstdio>

#include "absl/flags/flag.h"
#include "libs/common/binary.h"
#include "libs/mtls/control_plane.h"
#include "services/galley/galley_service.h"

ABSL_FLAG(keel::ListenAddress, grpc_address, {":9901"},
          "host:port of the MCP-over-xDS gRPC server.");
ABSL_FLAG(std::vector<std::string>, config_dir, {},
          "Comma-separated directories of Istio YAML to read recursively.");
ABSL_FLAG(absl::Duration, debounce, absl::Milliseconds(100),
          "Quiet time after file changes before Galley reloads.");
ABSL_FLAG(absl::Duration, debounce_max, absl::Seconds(10),
          "Longest a file change may wait for a reload while files keep changing.");
ABSL_FLAG(std::vector<std::string>, etcd_endpoints, {},
          "Comma-separated host:port of etcd members: config lives there, shared by every "
          "Galley replica (with --config_dir, this Galley writes its folders' config there).");
ABSL_FLAG(absl::Duration, folder_writer_lease, absl::Seconds(5),
          "On etcd with --config_dir: replicas reading the same folders elect one writer; how "
          "long a dead writer keeps the role.");
ABSL_FLAG(keel::ListenAddress, webhook_address, {},
          "host:port of the validating admission webhook (HTTPS); off when empty.");
ABSL_FLAG(std::string, webhook_cert, "", "PEM certificate chain of the webhook's HTTPS server.");
ABSL_FLAG(std::string, webhook_key, "", "PEM private key of the webhook's HTTPS server.");

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  keel::InitBinaryOrExit(argc, argv, "galley",
                         "Galley ingests Istio configuration, validates it and distributes it.");
  if (absl::Status transport = keel::mtls::CheckControlPlaneTransport("galley"); !transport.ok()) {
    std::fprintf(stderr, "galley: %s\n", std::string(transport.message()).c_str());
    return 2;
  }
  keel::galley::GalleyService galley({
      .config_dirs = absl::GetFlag(FLAGS_config_dir),
      .debounce = absl::GetFlag(FLAGS_debounce),
      .debounce_max = absl::GetFlag(FLAGS_debounce_max),
      .webhook_address = absl::GetFlag(FLAGS_webhook_address).value,
      .webhook_cert_file = absl::GetFlag(FLAGS_webhook_cert),
      .webhook_key_file = absl::GetFlag(FLAGS_webhook_key),
      .etcd_endpoints = absl::GetFlag(FLAGS_etcd_endpoints),
      .folder_writer_lease = absl::GetFlag(FLAGS_folder_writer_lease),
      .mcp_authorize = keel::mtls::ControlPlaneTls()
                           ? [](const grpc::CallbackServerContext& context) {
                               return keel::mtls::AllowIdentities(
                                   context, keel::mtls::McpClientIdentities(), "Galley's MCP");
                             }
                           : std::function<grpc::Status(const grpc::CallbackServerContext&)>(),
  });
  keel::ServiceHostOptions host = keel::HostOptionsFromFlags(absl::GetFlag(FLAGS_grpc_address).value);
  host.grpc_credentials = keel::mtls::ControlPlaneServerCredentials();
  return keel::RunService(galley, host, shutdown);
}
