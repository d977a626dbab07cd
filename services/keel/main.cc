// keel: Galley, Pilot, Citadel and Mixer in one process, as Istio 1.5's
// istiod. The same service libraries as the four binaries; config passes from
// Galley to Pilot and Mixer in process (no MCP hop); one monitoring port
// serves the metrics of all four and their debug pages under /debug/<service>/.
#include <cstdio>
#include <memory>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "libs/common/binary.h"
#include "libs/mtls/control_plane.h"
#include "services/citadel/citadel_flags.h"
#include "services/citadel/citadel_service.h"
#include "services/galley/galley_flags.h"
#include "services/galley/galley_service.h"
#include "services/mixer/mixer_flags.h"
#include "services/mixer/mixer_service.h"
#include "services/pilot/pilot_flags.h"
#include "services/pilot/pilot_service.h"

ABSL_FLAG(keel::ListenAddress, grpc_address, {":15010"}, "host:port of Pilot's xDS (ADS) server.");
ABSL_FLAG(keel::ListenAddress, galley_address, {":9901"},
          "host:port of Galley's MCP and config API server (for keelctl apply and for Pilot or "
          "Mixer replicas outside this process); \"\" serves neither.");
ABSL_FLAG(keel::ListenAddress, ca_address, {":15012"},
          "host:port of Citadel's CA server (TLS), as istiod's; \"\" runs no CA.");
ABSL_FLAG(keel::ListenAddress, mixer_address, {":9091"},
          "host:port of Mixer's Check/Report server; \"\" runs no Mixer.");

// Every service flag comes from the services' own flag libraries
// (galley_flags, pilot_flags, citadel_flags, mixer_flags): keel accepts
// each of them, as the split binaries do.

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  keel::InitBinaryOrExit(argc, argv, "keel",
                         "keel runs Galley, Pilot, Citadel and Mixer in one process (istiod).");
  if (absl::Status transport = keel::mtls::CheckControlPlaneTransport("keel"); !transport.ok()) {
    std::fprintf(stderr, "keel: %s\n", std::string(transport.message()).c_str());
    return 2;
  }
  auto fail = [](const std::string& message) {
    std::fprintf(stderr, "keel: %s\n", message.c_str());
    return 1;
  };

  if (absl::GetFlag(FLAGS_grpc_address).value.empty()) return fail("--grpc_address is required");

  keel::galley::GalleyOptions galley_options = keel::galley::GalleyOptionsFromFlags();
  // Pilot and Mixer replicas outside this process, over mTLS.
  galley_options.mcp_authorize = keel::mtls::McpAuthorizer();
  keel::galley::GalleyService galley(std::move(galley_options));
  // Pilot and Mixer read Galley's config in process.
  keel::xds::ConfigFeedFactory from_galley = [&galley](keel::xds::ConfigFeed::Handler handler) {
    return galley.local_feeds().NewFeed(std::move(handler));
  };
  keel::pilot::PilotOptions pilot_options = keel::pilot::PilotOptionsFromFlags();
  pilot_options.config_feed = from_galley;
  pilot_options.config_history = [&galley](const keel::galley::v1::ResourceRef& ref) {
    return galley.ConfigHistory(ref);
  };
  keel::pilot::PilotService pilot(std::move(pilot_options));

  std::unique_ptr<keel::citadel::CitadelService> citadel;
  const std::string ca_address = absl::GetFlag(FLAGS_ca_address).value;
  if (!ca_address.empty()) {
    keel::citadel::CitadelOptions citadel_options = keel::citadel::CitadelOptionsFromFlags();
    if (citadel_options.ca_dir.empty()) return fail("--ca_dir is required with --ca_address");
    citadel = std::make_unique<keel::citadel::CitadelService>(std::move(citadel_options));
  }

  std::unique_ptr<keel::mixer::MixerService> mixer;
  const std::string mixer_address = absl::GetFlag(FLAGS_mixer_address).value;
  if (!mixer_address.empty()) {
    absl::StatusOr<keel::mixer::MixerOptions> mixer_options = keel::mixer::MixerOptionsFromFlags();
    if (!mixer_options.ok()) return fail(std::string(mixer_options.status().message()));
    mixer_options->config_feed = from_galley;
    mixer = std::make_unique<keel::mixer::MixerService>(*std::move(mixer_options));
  }

  // Pilot first: the ports file's grpc_port is its xDS port. Pilot waits
  // for Galley's first full config however they are ordered.
  const std::shared_ptr<grpc::ServerCredentials> control_plane =
      keel::mtls::ControlPlaneServerCredentials();
  std::vector<keel::HostedService> services = {
      {.service = &pilot,
       .grpc_address = absl::GetFlag(FLAGS_grpc_address).value,
       .grpc_credentials = control_plane,
       .insecure_grpc_address = keel::pilot::InsecureXdsAddressFromFlags()},
      {.service = &galley,
       .grpc_address = absl::GetFlag(FLAGS_galley_address).value,
       .grpc_credentials = control_plane},
  };
  if (citadel != nullptr) services.push_back({.service = citadel.get(), .grpc_address = ca_address});
  if (mixer != nullptr) {
    services.push_back(
        {.service = mixer.get(), .grpc_address = mixer_address, .grpc_credentials = control_plane});
  }
  keel::ServiceHostOptions host = keel::HostOptionsFromFlags("");
  return keel::RunServices("keel", std::move(services), host, shutdown);
}
