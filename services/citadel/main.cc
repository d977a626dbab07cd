// citadel: the mesh's certificate authority.
#include "absl/flags/flag.h"
#include "libs/common/binary.h"
#include "services/citadel/citadel_service.h"

ABSL_FLAG(keel::ListenAddress, grpc_address, {":8060"}, "host:port of the CA gRPC server.");
ABSL_FLAG(absl::Duration, workload_cert_ttl, absl::Hours(24),
          "Lifetime of issued workload certificates.");

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  keel::InitBinaryOrExit(argc, argv, "citadel",
                         "Citadel signs workload certificates with SPIFFE identities.");
  keel::citadel::CitadelService citadel(
      {.workload_cert_ttl = absl::GetFlag(FLAGS_workload_cert_ttl)});
  return keel::RunService(
      citadel, keel::HostOptionsFromFlags(absl::GetFlag(FLAGS_grpc_address).value), shutdown);
}
