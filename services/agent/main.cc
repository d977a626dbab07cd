// keel-agent: the per-workload helper. It has no gRPC server of its own; its
// monitoring server listens on Istio's agent status port by default.
#include "absl/flags/flag.h"
#include "libs/common/binary.h"
#include "services/agent/agent_service.h"

ABSL_FLAG(std::string, citadel_address, "localhost:8060", "Citadel's CA address.");
ABSL_FLAG(std::string, pilot_address, "localhost:15010", "Pilot's xDS address.");

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  keel::InitBinaryOrExit(
      argc, argv, "keel-agent",
      "keel-agent obtains a workload's certificates and writes its xDS bootstrap.");
  keel::agent::AgentService agent({.citadel_address = absl::GetFlag(FLAGS_citadel_address),
                                   .pilot_address = absl::GetFlag(FLAGS_pilot_address)});
  keel::ServiceHostOptions host = keel::HostOptionsFromFlags(/*grpc_address=*/"");
  return keel::RunService(agent, host, shutdown);
}
