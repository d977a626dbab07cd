#include "libs/common/binary.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/synchronization/mutex.h"
#include "libs/common/files.h"
#include "libs/common/flags.h"
#include "libs/common/logging.h"
#include "libs/common/net.h"

ABSL_FLAG(keel::ListenAddress, monitoring_address, {"127.0.0.1:15014"},
          "host:port of the monitoring HTTP server (/metrics, /healthz, /readyz, /debug). "
          "Loopback by default; \":15014\" exposes it (probes, Prometheus).");
ABSL_FLAG(bool, debug_remote, false,
          "Serve /debug/* pages to remote clients too (they name every proxy and config file); "
          "by default they answer 403 to all but loopback.");
ABSL_FLAG(std::string, ports_file, "",
          "Once listening, write the gRPC and monitoring ports the process got to this file "
          "(\"grpc_port=N\\nmonitoring_port=N\\n\"); lets a launcher pass port 0.");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(5),
          "How long in-flight requests may finish after SIGTERM, e.g. 5s.");

namespace keel {

std::vector<std::string> InitBinaryOrExit(int argc, char** argv, const std::string& program,
                                          const std::string& description) {
  std::vector<std::string> positional = ParseFlagsOrExit(argc, argv, program, description);
#ifdef NDEBUG
  // Debian's Abseil is built with its deadlock detector on: every Mutex
  // acquisition then goes through one global graph. The release build does
  // not pay for it; the debug build (and so the tests) keeps it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  absl::Status logging = InitLogging(program, LogOptionsFromFlags());
  if (!logging.ok()) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), std::string(logging.message()).c_str());
    std::exit(2);
  }
  return positional;
}

ServiceHostOptions HostOptionsFromFlags(const std::string& grpc_address) {
  return ServiceHostOptions{
      .grpc_address = grpc_address,
      .monitoring_address = absl::GetFlag(FLAGS_monitoring_address).value,
      .debug_remote = absl::GetFlag(FLAGS_debug_remote),
      .ports_file = absl::GetFlag(FLAGS_ports_file),
      .drain_timeout = absl::GetFlag(FLAGS_drain_timeout),
  };
}

absl::Status WritePortsFileFromFlags(uint16_t grpc_port, uint16_t monitoring_port) {
  const std::string path = absl::GetFlag(FLAGS_ports_file);
  if (path.empty()) return absl::OkStatus();
  return WriteFileAtomically(path, PortsFileContents(grpc_port, monitoring_port));
}

}  // namespace keel
