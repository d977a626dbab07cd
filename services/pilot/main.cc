// pilot: service discovery and traffic management served as xDS.
#include <cstdio>

#include "absl/flags/flag.h"
#include "libs/common/binary.h"
#include "libs/mtls/control_plane.h"
#include "services/pilot/pilot_service.h"

ABSL_FLAG(keel::ListenAddress, grpc_address, {":15010"}, "host:port of the xDS (ADS) gRPC server.");
ABSL_FLAG(std::string, galley_address, "localhost:9901", "Galley's MCP-over-xDS address.");
ABSL_FLAG(absl::Duration, debounce_after, absl::Milliseconds(100),
          "Quiet time after a config change before a push (PILOT_DEBOUNCE_AFTER).");
ABSL_FLAG(absl::Duration, debounce_max, absl::Seconds(10),
          "Longest a change may wait for a push (PILOT_DEBOUNCE_MAX).");
ABSL_FLAG(std::string, cluster_domain, "cluster.local", "Domain short host names expand with.");
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

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  keel::InitBinaryOrExit(argc, argv, "pilot",
                         "Pilot serves Istio traffic management as xDS to the data plane.");
  if (absl::Status transport = keel::mtls::CheckControlPlaneTransport("pilot"); !transport.ok()) {
    std::fprintf(stderr, "pilot: %s\n", std::string(transport.message()).c_str());
    return 2;
  }
  if (!absl::GetFlag(FLAGS_insecure_xds_address).empty() && !keel::mtls::ControlPlaneTls()) {
    std::fprintf(stderr, "pilot: --insecure_xds_address is for a Pilot serving mTLS "
                         "(--tls_cert_dir); with --insecure_plaintext every port is plaintext\n");
    return 2;
  }
  keel::pilot::PilotService pilot(
      {.galley_address = absl::GetFlag(FLAGS_galley_address),
       .debounce_after = absl::GetFlag(FLAGS_debounce_after),
       .debounce_max = absl::GetFlag(FLAGS_debounce_max),
       .cluster_domain = absl::GetFlag(FLAGS_cluster_domain),
       .mesh_config_path = absl::GetFlag(FLAGS_mesh_config),
       .galley_max_message_bytes = absl::GetFlag(FLAGS_galley_max_message_bytes),
       .xds_max_streams = absl::GetFlag(FLAGS_xds_max_streams),
       .xds_new_streams_per_second = absl::GetFlag(FLAGS_xds_new_streams_per_second),
       .xds_max_names_per_type = absl::GetFlag(FLAGS_xds_max_names_per_type),
       .galley_credentials = keel::mtls::GalleyClientCredentials(),
       .prometheus_address = absl::GetFlag(FLAGS_prometheus),
       .citadel_debug_address = absl::GetFlag(FLAGS_citadel_debug_address)});
  keel::ServiceHostOptions host = keel::HostOptionsFromFlags(absl::GetFlag(FLAGS_grpc_address).value);
  host.grpc_credentials = keel::mtls::ControlPlaneServerCredentials();
  host.insecure_grpc_address = absl::GetFlag(FLAGS_insecure_xds_address);
  return keel::RunService(pilot, host, shutdown);
}
