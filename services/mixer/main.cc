// mixer: policy checks and telemetry.
#include "absl/flags/flag.h"
#include "libs/common/binary.h"
#include "libs/mtls/control_plane.h"
#include "services/mixer/mixer_service.h"

ABSL_FLAG(keel::ListenAddress, grpc_address, {":9091"},
          "host:port of the Mixer Check/Report gRPC server.");
ABSL_FLAG(std::string, galley_address, "localhost:9901", "Galley's MCP-over-xDS address.");
ABSL_FLAG(std::string, global_dictionary, "",
          "Istio's global word list for compressed attributes (mixer/v1/global_dictionary.yaml); "
          "without it clients may use only their messages' own words.");
ABSL_FLAG(std::string, config_namespace, "istio-system",
          "Mixer rules in this namespace apply to every request.");

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  keel::InitBinaryOrExit(argc, argv, "mixer",
                         "Mixer answers policy checks and turns telemetry into metrics.");
  keel::mixer::MixerService mixer({.galley_address = absl::GetFlag(FLAGS_galley_address),
                                   .galley_credentials = keel::mtls::GalleyClientCredentials(),
                                   .global_dictionary = absl::GetFlag(FLAGS_global_dictionary),
                                   .config_namespace = absl::GetFlag(FLAGS_config_namespace)});
  keel::ServiceHostOptions host =
      keel::HostOptionsFromFlags(absl::GetFlag(FLAGS_grpc_address).value);
  host.grpc_credentials = keel::mtls::ControlPlaneServerCredentials();
  return keel::RunService(mixer, host, shutdown);
}
