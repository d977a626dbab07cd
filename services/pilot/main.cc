// pilot: service discovery and traffic management served as xDS.
#include "absl/flags/flag.h"
#include "libs/common/binary.h"
#include "services/pilot/pilot_service.h"

ABSL_FLAG(std::string, grpc_address, ":15010", "host:port of the xDS (ADS) gRPC server.");
ABSL_FLAG(std::string, galley_address, "localhost:9901", "Galley's MCP-over-xDS address.");

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  keel::InitBinaryOrExit(argc, argv, "pilot",
                         "Pilot serves Istio traffic management as xDS to the data plane.");
  keel::pilot::PilotService pilot({.galley_address = absl::GetFlag(FLAGS_galley_address)});
  return keel::RunService(pilot, keel::HostOptionsFromFlags(absl::GetFlag(FLAGS_grpc_address)),
                          shutdown);
}
