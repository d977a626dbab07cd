// pilot: service discovery and traffic management served as xDS.
#include <cstdio>

#include "absl/flags/flag.h"
#include "libs/common/binary.h"
#include "libs/mtls/control_plane.h"
#include "services/pilot/pilot_flags.h"
#include "services/pilot/pilot_service.h"

ABSL_FLAG(keel::ListenAddress, grpc_address, {":15010"}, "host:port of the xDS (ADS) gRPC server.");
ABSL_FLAG(std::string, galley_address, "localhost:9901", "Galley's MCP-over-xDS address.");

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  keel::InitBinaryOrExit(argc, argv, "pilot",
                         "Pilot serves Istio traffic management as xDS to the data plane.");
  if (absl::Status transport = keel::mtls::CheckControlPlaneTransport("pilot"); !transport.ok()) {
    std::fprintf(stderr, "pilot: %s\n", std::string(transport.message()).c_str());
    return 2;
  }
  if (!keel::pilot::InsecureXdsAddressFromFlags().empty() && !keel::mtls::ControlPlaneTls()) {
    std::fprintf(stderr, "pilot: --insecure_xds_address is for a Pilot serving mTLS "
                         "(--tls_cert_dir); with --insecure_plaintext every port is plaintext\n");
    return 2;
  }
  keel::pilot::PilotOptions options = keel::pilot::PilotOptionsFromFlags();
  options.galley_address = absl::GetFlag(FLAGS_galley_address);
  options.galley_credentials = keel::mtls::GalleyClientCredentials();
  keel::pilot::PilotService pilot(std::move(options));
  keel::ServiceHostOptions host = keel::HostOptionsFromFlags(absl::GetFlag(FLAGS_grpc_address).value);
  host.grpc_credentials = keel::mtls::ControlPlaneServerCredentials();
  host.insecure_grpc_address = keel::pilot::InsecureXdsAddressFromFlags();
  return keel::RunService(pilot, host, shutdown);
}
