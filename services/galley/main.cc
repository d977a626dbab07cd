// galley: config ingestion, validation and distribution.
#include <cstdio>

#include "absl/flags/flag.h"
#include "libs/common/binary.h"
#include "libs/mtls/control_plane.h"
#include "services/galley/galley_flags.h"
#include "services/galley/galley_service.h"

ABSL_FLAG(keel::ListenAddress, grpc_address, {":9901"},
          "host:port of the MCP-over-xDS gRPC server.");

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  keel::InitBinaryOrExit(argc, argv, "galley",
                         "Galley ingests Istio configuration, validates it and distributes it.");
  if (absl::Status transport = keel::mtls::CheckControlPlaneTransport("galley"); !transport.ok()) {
    std::fprintf(stderr, "galley: %s\n", std::string(transport.message()).c_str());
    return 2;
  }
  keel::galley::GalleyOptions options = keel::galley::GalleyOptionsFromFlags();
  options.mcp_authorize = keel::mtls::McpAuthorizer();
  keel::galley::GalleyService galley(std::move(options));
  keel::ServiceHostOptions host = keel::HostOptionsFromFlags(absl::GetFlag(FLAGS_grpc_address).value);
  host.grpc_credentials = keel::mtls::ControlPlaneServerCredentials();
  return keel::RunService(galley, host, shutdown);
}
