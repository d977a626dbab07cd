// Runs Debian's Prometheus server for a test: on a loopback port, scraping
// the given targets every second, its data in a fresh folder.
#ifndef KEEL_INTEGRATION_HARNESS_PROMETHEUS_H_
#define KEEL_INTEGRATION_HARNESS_PROMETHEUS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "integration/harness/process.h"

namespace keel::testing {

struct PrometheusServer {
  ChildProcess process;
  uint16_t port = 0;
  std::string address() const;  // "127.0.0.1:PORT"
};

// StartPrometheus starts it scraping `target` ("host:port" of a /metrics).
absl::StatusOr<PrometheusServer> StartPrometheus(const std::string& target);

}  // namespace keel::testing

#endif  // KEEL_INTEGRATION_HARNESS_PROMETHEUS_H_
