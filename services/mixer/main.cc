// mixer: policy checks and telemetry.
#include <cstdio>

#include "absl/flags/flag.h"
#include "libs/common/binary.h"
#include "libs/mtls/control_plane.h"
#include "services/mixer/mixer_flags.h"
#include "services/mixer/mixer_service.h"

ABSL_FLAG(keel::ListenAddress, grpc_address, {":9091"},
          "host:port of the Mixer Check/Report gRPC server.");
ABSL_FLAG(std::string, galley_address, "localhost:9901", "Galley's MCP-over-xDS address.");

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  keel::InitBinaryOrExit(argc, argv, "mixer",
                         "Mixer answers policy checks and turns telemetry into metrics.");
  if (absl::Status transport = keel::mtls::CheckControlPlaneTransport("mixer"); !transport.ok()) {
    std::fprintf(stderr, "mixer: %s\n", std::string(transport.message()).c_str());
    return 2;
  }
  absl::StatusOr<keel::mixer::MixerOptions> options = keel::mixer::MixerOptionsFromFlags();
  if (!options.ok()) {
    std::fprintf(stderr, "mixer: %s\n", std::string(options.status().message()).c_str());
    return 1;
  }
  options->galley_address = absl::GetFlag(FLAGS_galley_address);
  options->galley_credentials = keel::mtls::GalleyClientCredentials();
  keel::mixer::MixerService mixer(*std::move(options));
  keel::ServiceHostOptions host =
      keel::HostOptionsFromFlags(absl::GetFlag(FLAGS_grpc_address).value);
  host.grpc_credentials = keel::mtls::ControlPlaneServerCredentials();
  return keel::RunService(mixer, host, shutdown);
}
