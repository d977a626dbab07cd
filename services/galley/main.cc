// galley: config ingestion, validation and distribution.
#include "absl/flags/flag.h"
#include "libs/common/binary.h"
#include "services/galley/galley_service.h"

ABSL_FLAG(std::string, grpc_address, ":9901", "host:port of the MCP-over-xDS gRPC server.");
ABSL_FLAG(std::vector<std::string>, config_dir, {},
          "Comma-separated directories of Istio YAML to read recursively.");

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  keel::InitBinaryOrExit(argc, argv, "galley",
                         "Galley ingests Istio configuration, validates it and distributes it.");
  keel::galley::GalleyService galley({.config_dirs = absl::GetFlag(FLAGS_config_dir)});
  return keel::RunService(galley, keel::HostOptionsFromFlags(absl::GetFlag(FLAGS_grpc_address)),
                          shutdown);
}
