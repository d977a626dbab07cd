#include "services/pilot/pilot_flags.h"

#include "absl/flags/flag.h"
#include "libs/common/shared_flags.h"

ABSL_FLAG(absl::Duration, debounce_after, absl::Milliseconds(100),
          "Quiet time before a push during a burst of config changes (PILOT_DEBOUNCE_AFTER); "
          "a lone change after a quiet spell pushes at once.");
ABSL_FLAG(std::string, mesh_config, "",
          "Istio MeshConfig YAML (rootNamespace, default exportTo, ...); reloaded when it changes. "
          "Empty: Istio's defaults.");
ABSL_FLAG(int, galley_max_message_bytes, 64 << 20,
          "Largest config message accepted from Galley (gRPC's default is 4 MiB).");
ABSL_FLAG(std::string, prometheus, "",
          "host:port of a Prometheus that scrapes Mixer: the console's traffic graph shows each "
          "subset's live request and error rates from it.");
ABSL_FLAG(std::string, citadel_debug_address, "",
          "host:port of Citadel's monitoring server: the console's Certificates page shows its "
          "workload certificates and events (Citadel needs --debug_remote unless on this host).");
ABSL_FLAG(std::string, insecure_xds_address, "",
          "INSECURE: with --tls_cert_dir, also serve xDS in plaintext on this host:port, for "
          "proxyless gRPC clients (gRPC 1.51's xDS client cannot reach its server over TLS); "
          "anyone who reaches it reads the config of every proxy. Istio 1.4's 15010.");
ABSL_FLAG(uint32_t, xds_max_streams, 20000, "Open xDS streams at most; more are refused.");
ABSL_FLAG(double, xds_new_streams_per_second, 2000,
          "New xDS streams admitted per second (bursts of as many); more are told to retry.");
ABSL_FLAG(uint32_t, xds_max_names_per_type, 5000,
          "Resource names one xDS stream may subscribe to, per type.");

namespace keel::pilot {

PilotOptions PilotOptionsFromFlags() {
  return PilotOptions{
      .debounce_after = absl::GetFlag(FLAGS_debounce_after),
      .debounce_max = absl::GetFlag(FLAGS_debounce_max),
      .cluster_domain = absl::GetFlag(FLAGS_cluster_domain),
      .mesh_config_path = absl::GetFlag(FLAGS_mesh_config),
      .galley_max_message_bytes = absl::GetFlag(FLAGS_galley_max_message_bytes),
      .xds_max_streams = absl::GetFlag(FLAGS_xds_max_streams),
      .xds_new_streams_per_second = absl::GetFlag(FLAGS_xds_new_streams_per_second),
      .xds_max_names_per_type = absl::GetFlag(FLAGS_xds_max_names_per_type),
      .prometheus_address = absl::GetFlag(FLAGS_prometheus),
      .citadel_debug_address = absl::GetFlag(FLAGS_citadel_debug_address),
  };
}

std::string InsecureXdsAddressFromFlags() { return absl::GetFlag(FLAGS_insecure_xds_address); }

}  // namespace keel::pilot
