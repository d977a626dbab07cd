// mixer: policy checks and telemetry.
#include <cstdio>

#include "absl/flags/flag.h"
#include "libs/common/binary.h"
#include "libs/mtls/control_plane.h"
#include "services/mixer/mixer_service.h"

ABSL_FLAG(keel::ListenAddress, grpc_address, {":9091"},
          "host:port of the Mixer Check/Report gRPC server.");
ABSL_FLAG(std::string, galley_address, "localhost:9901", "Galley's MCP-over-xDS address.");
ABSL_FLAG(std::string, global_dictionary, "",
          "A global word list for compressed attributes (a mixer/v1/global_dictionary.yaml) "
          "other than Istio 1.4's, which is built in and used when this is empty.");
ABSL_FLAG(std::string, config_namespace, "istio-system",
          "Mixer rules in this namespace apply to every request.");

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  keel::InitBinaryOrExit(argc, argv, "mixer",
                         "Mixer answers policy checks and turns telemetry into metrics.");
  if (absl::Status transport = keel::mtls::CheckControlPlaneTransport("mixer"); !transport.ok()) {
    std::fprintf(stderr, "mixer: %s\n", std::string(transport.message()).c_str());
    return 2;
  }
  // The word list is read before anything serves: Checks may arrive as soon
  // as the gRPC server starts.
  std::shared_ptr<const keel::mixer::GlobalDictionary> dictionary =
      keel::mixer::GlobalDictionary::Istio14();
  if (const std::string path = absl::GetFlag(FLAGS_global_dictionary); !path.empty()) {
    absl::StatusOr<keel::mixer::GlobalDictionary> read = keel::mixer::GlobalDictionary::FromFile(path);
    if (!read.ok()) {
      std::fprintf(stderr, "mixer: --global_dictionary: %s\n",
                   std::string(read.status().message()).c_str());
      return 1;
    }
    dictionary = std::make_shared<const keel::mixer::GlobalDictionary>(*std::move(read));
  }
  keel::mixer::MixerService mixer({.galley_address = absl::GetFlag(FLAGS_galley_address),
                                   .galley_credentials = keel::mtls::GalleyClientCredentials(),
                                   .global_dictionary = std::move(dictionary),
                                   .config_namespace = absl::GetFlag(FLAGS_config_namespace)});
  keel::ServiceHostOptions host =
      keel::HostOptionsFromFlags(absl::GetFlag(FLAGS_grpc_address).value);
  host.grpc_credentials = keel::mtls::ControlPlaneServerCredentials();
  return keel::RunService(mixer, host, shutdown);
}
