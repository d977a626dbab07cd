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
#include "services/citadel/citadel_service.h"
#include "services/galley/galley_service.h"
#include "services/mixer/mixer_service.h"
#include "services/pilot/pilot_service.h"

ABSL_FLAG(keel::ListenAddress, grpc_address, {":15010"}, "host:port of Pilot's xDS (ADS) server.");
ABSL_FLAG(keel::ListenAddress, galley_address, {":9901"},
          "host:port of Galley's MCP and config API server (for keelctl apply and for Pilot or "
          "Mixer replicas outside this process); \"\" serves neither.");
ABSL_FLAG(keel::ListenAddress, ca_address, {":15012"},
          "host:port of Citadel's CA server (TLS), as istiod's; \"\" runs no CA.");
ABSL_FLAG(keel::ListenAddress, mixer_address, {":9091"},
          "host:port of Mixer's Check/Report server; \"\" runs no Mixer.");

ABSL_FLAG(std::string, insecure_xds_address, "",
          "INSECURE: with --tls_cert_dir, also serve Pilot's xDS in plaintext on this host:port, "
          "for proxyless gRPC clients (gRPC 1.51's xDS client cannot reach its server over TLS); "
          "anyone who reaches it reads the config of every proxy.");
// Galley.
ABSL_FLAG(std::vector<std::string>, config_dir, {},
          "Comma-separated directories of Istio YAML to read recursively.");
ABSL_FLAG(absl::Duration, debounce, absl::Milliseconds(100),
          "Quiet time after file changes before Galley reloads.");
ABSL_FLAG(std::vector<std::string>, etcd_endpoints, {},
          "Comma-separated host:port of etcd members: config (and a self-signed CA) live there, "
          "shared by every replica.");
// Pilot.
ABSL_FLAG(absl::Duration, debounce_after, absl::Milliseconds(100),
          "Quiet time after a config change before a push (PILOT_DEBOUNCE_AFTER).");
ABSL_FLAG(absl::Duration, debounce_max, absl::Seconds(10),
          "Longest a change may wait for a push (PILOT_DEBOUNCE_MAX).");
ABSL_FLAG(std::string, cluster_domain, "cluster.local", "Domain short host names expand with.");
ABSL_FLAG(std::string, mesh_config, "",
          "Istio MeshConfig YAML; reloaded when it changes. Empty: Istio's defaults.");
// Citadel.
ABSL_FLAG(std::string, ca_mode, "self-signed",
          "self-signed (a root made on first start and kept in --ca_dir) or cacerts (Istio's "
          "plugged-in CA files in --ca_dir).");
ABSL_FLAG(std::string, ca_dir, "", "Folder of the CA's files (required with --ca_address).");
ABSL_FLAG(std::string, trust_domain, "cluster.local", "Trust domain of SPIFFE identities.");
ABSL_FLAG(absl::Duration, workload_cert_ttl, absl::Hours(24),
          "Lifetime of issued workload certificates when the request asks for none.");
ABSL_FLAG(absl::Duration, max_workload_cert_ttl, absl::Hours(24 * 90),
          "Longest lifetime a request may ask for.");
ABSL_FLAG(double, certificates_per_second, 10,
          "Certificates one identity (and one bootstrap token) may get per second; more are "
          "refused with RESOURCE_EXHAUSTED. 0: no limit.");
ABSL_FLAG(double, certificate_burst, 100,
          "How many certificates one identity may get at once beyond that rate (a rollout).");
ABSL_FLAG(std::string, token_key_file, "",
          "Secret that signs bootstrap tokens (default <ca_dir>/token-key, made if missing).");
ABSL_FLAG(std::string, serving_dir, "",
          "Folder for the CA server's own certificate (default: a new temporary folder).");
ABSL_FLAG(std::string, server_names, "localhost,keel,istiod,keel-istiod.keel-system.svc",
          "Comma-separated DNS names clients reach the CA by.");
// Mixer.
ABSL_FLAG(std::string, global_dictionary, "",
          "A global word list for compressed Mixer attributes other than Istio 1.4's, which is "
          "built in and used when this is empty.");
ABSL_FLAG(std::string, config_namespace, "istio-system",
          "Mixer rules in this namespace apply to every request.");

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

  keel::galley::GalleyService galley({
      .config_dirs = absl::GetFlag(FLAGS_config_dir),
      .debounce = absl::GetFlag(FLAGS_debounce),
      .etcd_endpoints = absl::GetFlag(FLAGS_etcd_endpoints),
      // Pilot and Mixer replicas outside this process, over mTLS.
      .mcp_authorize = keel::mtls::ControlPlaneTls()
                           ? [](const grpc::CallbackServerContext& context) {
                               return keel::mtls::AllowIdentities(
                                   context, keel::mtls::McpClientIdentities(), "Galley's MCP");
                             }
                           : std::function<grpc::Status(const grpc::CallbackServerContext&)>(),
  });
  // Pilot and Mixer read Galley's config in process.
  keel::xds::ConfigFeedFactory from_galley = [&galley](keel::xds::ConfigFeed::Handler handler) {
    return galley.local_feeds().NewFeed(std::move(handler));
  };
  keel::pilot::PilotService pilot({
      .debounce_after = absl::GetFlag(FLAGS_debounce_after),
      .debounce_max = absl::GetFlag(FLAGS_debounce_max),
      .cluster_domain = absl::GetFlag(FLAGS_cluster_domain),
      .mesh_config_path = absl::GetFlag(FLAGS_mesh_config),
      .config_feed = from_galley,
      .config_history = [&galley](const keel::galley::v1::ResourceRef& ref) {
        return galley.ConfigHistory(ref);
      },
  });

  std::unique_ptr<keel::citadel::CitadelService> citadel;
  const std::string ca_address = absl::GetFlag(FLAGS_ca_address).value;
  if (!ca_address.empty()) {
    if (absl::GetFlag(FLAGS_ca_dir).empty()) return fail("--ca_dir is required with --ca_address");
    citadel = std::make_unique<keel::citadel::CitadelService>(keel::citadel::CitadelOptions{
        .ca_mode = absl::GetFlag(FLAGS_ca_mode),
        .ca_dir = absl::GetFlag(FLAGS_ca_dir),
        .trust_domain = absl::GetFlag(FLAGS_trust_domain),
        .workload_cert_ttl = absl::GetFlag(FLAGS_workload_cert_ttl),
        .max_workload_cert_ttl = absl::GetFlag(FLAGS_max_workload_cert_ttl),
        .certificates_per_second = absl::GetFlag(FLAGS_certificates_per_second),
        .certificate_burst = absl::GetFlag(FLAGS_certificate_burst),
        .token_key_file = absl::GetFlag(FLAGS_token_key_file),
        .serving_dir = absl::GetFlag(FLAGS_serving_dir),
        .server_names = absl::StrSplit(absl::GetFlag(FLAGS_server_names), ',', absl::SkipEmpty()),
        .etcd_endpoints = absl::GetFlag(FLAGS_etcd_endpoints),
    });
  }

  std::unique_ptr<keel::mixer::MixerService> mixer;
  const std::string mixer_address = absl::GetFlag(FLAGS_mixer_address).value;
  if (!mixer_address.empty()) {
    std::shared_ptr<const keel::mixer::GlobalDictionary> dictionary =
        keel::mixer::GlobalDictionary::Istio14();
    if (const std::string path = absl::GetFlag(FLAGS_global_dictionary); !path.empty()) {
      absl::StatusOr<keel::mixer::GlobalDictionary> read =
          keel::mixer::GlobalDictionary::FromFile(path);
      if (!read.ok()) return fail("--global_dictionary: " + std::string(read.status().message()));
      dictionary = std::make_shared<const keel::mixer::GlobalDictionary>(*std::move(read));
    }
    mixer = std::make_unique<keel::mixer::MixerService>(keel::mixer::MixerOptions{
        .global_dictionary = std::move(dictionary),
        .config_namespace = absl::GetFlag(FLAGS_config_namespace),
        .config_feed = from_galley,
    });
  }

  // Pilot first: the ports file's grpc_port is its xDS port. Pilot waits
  // for Galley's first full config however they are ordered.
  const std::shared_ptr<grpc::ServerCredentials> control_plane =
      keel::mtls::ControlPlaneServerCredentials();
  std::vector<keel::HostedService> services = {
      {.service = &pilot,
       .grpc_address = absl::GetFlag(FLAGS_grpc_address).value,
       .grpc_credentials = control_plane,
       .insecure_grpc_address = absl::GetFlag(FLAGS_insecure_xds_address)},
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
