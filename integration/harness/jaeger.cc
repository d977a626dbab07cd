#include "integration/harness/jaeger.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "integration/harness/eventually.h"
#include "integration/harness/mesh.h"
#include "libs/common/files.h"
#include "libs/common/http_client.h"

namespace keel::testing {

std::string JaegerServer::zipkin_address() const { return absl::StrCat("127.0.0.1:", zipkin_port); }
std::string JaegerServer::otlp_http_address() const { return absl::StrCat("127.0.0.1:", otlp_http_port); }
std::string JaegerServer::query_address() const { return absl::StrCat("127.0.0.1:", query_port); }

absl::StatusOr<JaegerServer> StartJaeger(const JaegerServer* same_ports) {
  constexpr char kJaeger[] = "/usr/local/bin/jaeger";
  if (access(kJaeger, X_OK) != 0) {
    return absl::FailedPreconditionError("jaeger is not installed: run scripts/install-deps.sh");
  }
  const std::string dir = TestTempDir("jaeger");
  // Jaeger takes its addresses from its config only, so the ports are
  // picked before it starts (see PickFreePort).
  const uint16_t zipkin = same_ports != nullptr ? same_ports->zipkin_port : PickFreePort();
  const uint16_t otlp_grpc = same_ports != nullptr ? same_ports->otlp_grpc_port : PickFreePort();
  const uint16_t otlp_http = same_ports != nullptr ? same_ports->otlp_http_port : PickFreePort();
  const uint16_t query = same_ports != nullptr ? same_ports->query_port : PickFreePort();
  const uint16_t query_grpc = PickFreePort(), health = PickFreePort();
  const std::string config = absl::StrCat(R"(service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp, zipkin]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics: {level: none}
extensions:
  jaeger_storage:
    backends:
      memstore: {memory: {max_traces: 100000}}
  jaeger_query:
    storage: {traces: memstore}
    http: {endpoint: "127.0.0.1:)", query, R"("}
    grpc: {endpoint: "127.0.0.1:)", query_grpc, R"("}
  healthcheckv2:
    use_v2: true
    http: {endpoint: "127.0.0.1:)", health, R"("}
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "127.0.0.1:)", otlp_grpc, R"("}
      http: {endpoint: "127.0.0.1:)", otlp_http, R"("}
  zipkin: {endpoint: "127.0.0.1:)", zipkin, R"("}
processors:
  batch: {timeout: 100ms}
exporters:
  jaeger_storage_exporter: {trace_storage: memstore}
)");
  if (absl::Status s = WriteFileAtomically(dir + "/config.yaml", config); !s.ok()) return s;
  absl::StatusOr<ChildProcess> jaeger =
      ChildProcess::Start(kJaeger, {"--config", dir + "/config.yaml"}, dir + "/jaeger.log");
  if (!jaeger.ok()) return jaeger.status();
  JaegerServer server{.process = *std::move(jaeger),
                      .zipkin_port = zipkin,
                      .otlp_grpc_port = otlp_grpc,
                      .otlp_http_port = otlp_http,
                      .query_port = query};
  const std::string health_address = absl::StrCat("127.0.0.1:", health);
  const bool healthy = Eventually(
      [&] {
        if (!server.process.Running()) return true;
        absl::StatusOr<HttpResponse> status = HttpGet(health_address, "/status", absl::Seconds(1));
        return status.ok() && status->status == 200;
      },
      absl::Seconds(30));
  if (!healthy || !server.process.Running()) {
    return absl::UnavailableError(absl::StrCat("jaeger did not become healthy:\n", server.process.Log()));
  }
  return server;
}

}  // namespace keel::testing
