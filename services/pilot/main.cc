// pilot: service discovery and traffic management served as xDS.
#include "absl/flags/flag.h"
#include "libs/common/binary.h"
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

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  keel::InitBinaryOrExit(argc, argv, "pilot",
                         "Pilot serves Istio traffic management as xDS to the data plane.");
  keel::pilot::PilotService pilot({.galley_address = absl::GetFlag(FLAGS_galley_address),
                                   .debounce_after = absl::GetFlag(FLAGS_debounce_after),
                                   .debounce_max = absl::GetFlag(FLAGS_debounce_max),
                                   .cluster_domain = absl::GetFlag(FLAGS_cluster_domain),
                                   .mesh_config_path = absl::GetFlag(FLAGS_mesh_config)});
  return keel::RunService(
      pilot, keel::HostOptionsFromFlags(absl::GetFlag(FLAGS_grpc_address).value), shutdown);
}
