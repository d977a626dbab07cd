// Runs Jaeger (the all-in-one binary scripts/install-deps.sh builds, v2 on
// the OpenTelemetry collector) for a test: memory storage, its Zipkin and
// OTLP receivers and its query API on loopback ports of its own.
#ifndef KEEL_INTEGRATION_HARNESS_JAEGER_H_
#define KEEL_INTEGRATION_HARNESS_JAEGER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "integration/harness/process.h"

namespace keel::testing {

struct JaegerServer {
  ChildProcess process;
  uint16_t zipkin_port = 0;     // POST /api/v2/spans (Zipkin v2 JSON)
  uint16_t otlp_grpc_port = 0;  // OTLP/gRPC
  uint16_t otlp_http_port = 0;  // POST /v1/traces (OTLP/HTTP)
  uint16_t query_port = 0;      // /api/services, /api/traces, /api/v3/...
  std::string zipkin_address() const;
  std::string otlp_http_address() const;
  std::string query_address() const;
};

// StartJaeger returns once Jaeger reports itself healthy. FailedPrecondition
// when it is not installed. With `same_ports`, it listens where that one did
// (a collector back after an outage, its senders unchanged).
absl::StatusOr<JaegerServer> StartJaeger(const JaegerServer* same_ports = nullptr);

}  // namespace keel::testing

#endif  // KEEL_INTEGRATION_HARNESS_JAEGER_H_
