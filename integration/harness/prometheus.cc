#include "integration/harness/prometheus.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "integration/harness/mesh.h"

namespace keel::testing {

std::string PrometheusServer::address() const { return absl::StrCat("127.0.0.1:", port); }

absl::StatusOr<PrometheusServer> StartPrometheus(const std::string& target) {
  const std::string dir = TestTempDir("prometheus");
  // Prometheus takes its listen address on the command line only, so the
  // port is picked before it starts (see PickFreePort).
  const uint16_t port = PickFreePort();
  std::ofstream(dir + "/prometheus.yml")
      << "global: {scrape_interval: 1s}\nscrape_configs:\n- job_name: keel\n"
         "  static_configs: [{targets: ['"
      << target << "']}]\n";
  absl::StatusOr<ChildProcess> prometheus = ChildProcess::Start(
      "/usr/bin/prometheus",
      {"--config.file=" + dir + "/prometheus.yml", "--storage.tsdb.path=" + dir + "/data",
       absl::StrCat("--web.listen-address=127.0.0.1:", port)},
      dir + "/prometheus.log");
  if (!prometheus.ok()) return prometheus.status();
  return PrometheusServer{.process = *std::move(prometheus), .port = port};
}

}  // namespace keel::testing
