// The tracing backend the project installs, as the harness runs it: spans
// sent the two ways Keel will send them (Zipkin v2 JSON, as Istio 1.4's
// proxies and Mixer's zipkin adapter did, and OTLP/HTTP) come back from
// Jaeger's query API with their service, name, tags and parent links.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integration/harness/eventually.h"
#include "integration/harness/jaeger.h"
#include "libs/common/http_client.h"
#include "libs/tracing/trace_context.h"
#include "libs/tracing/zipkin_exporter.h"
#include "yaml-cpp/yaml.h"

namespace keel::testing {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<HttpResponse> Post(const std::string& address, const std::string& target,
                                  const std::string& json) {
  return HttpFetch({.method = "POST", .address = address, .target = target, .body = json});
}

TEST(JaegerTest, ZipkinAndOtlpSpansComeBackFromTheQueryApi) {
  absl::StatusOr<JaegerServer> jaeger = StartJaeger();
  ASSERT_TRUE(jaeger.ok()) << jaeger.status();
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  // A client span and its server child, Zipkin v2 JSON.
  const std::string zipkin = absl::StrCat(R"([
    {"traceId": "5af7183fb1d4cf5f", "id": "352bff9a74ca9ad2", "name": "echo.default.svc.cluster.local:7070/*",
     "timestamp": )", now_us, R"(, "duration": 2000, "kind": "CLIENT",
     "localEndpoint": {"serviceName": "client.default"},
     "tags": {"istio.mesh_id": "cluster.local", "grpc.status_code": "0"}},
    {"traceId": "5af7183fb1d4cf5f", "id": "452bff9a74ca9ad3", "parentId": "352bff9a74ca9ad2",
     "name": "echo.default.svc.cluster.local:7070/*", "timestamp": )", now_us + 100, R"(, "duration": 1500,
     "kind": "SERVER", "localEndpoint": {"serviceName": "echo-v1.default"}}])");
  absl::StatusOr<HttpResponse> sent = Post(jaeger->zipkin_address(), "/api/v2/spans", zipkin);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->status, 202) << sent->body;
  // One span over OTLP/HTTP (JSON).
  const std::string otlp = absl::StrCat(
      R"({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "pilot"}}]},)",
      R"("scopeSpans": [{"spans": [{"traceId": "6bf7183fb1d4cf5f6bf7183fb1d4cf5f", "spanId": "552bff9a74ca9ad4",)",
      R"("name": "push", "kind": 1, "startTimeUnixNano": ")", now_us * 1000, R"(", "endTimeUnixNano": ")",
      (now_us + 500) * 1000, R"("}]}]}]})");
  sent = Post(jaeger->otlp_http_address(), "/v1/traces", otlp);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->status, 200) << sent->body;

  // Both services are listed once the batch is stored.
  ASSERT_TRUE(Eventually(
      [&] {
        absl::StatusOr<HttpResponse> services = HttpGet(jaeger->query_address(), "/api/services");
        return services.ok() && absl::StrContains(services->body, "\"client.default\"") &&
               absl::StrContains(services->body, "\"echo-v1.default\"") &&
               absl::StrContains(services->body, "\"pilot\"");
      },
      absl::Seconds(20)))
      << jaeger->process.Log();
  // The trace: two spans, the server's parent the client's, the tags kept.
  absl::StatusOr<HttpResponse> trace = HttpGet(jaeger->query_address(), "/api/traces/5af7183fb1d4cf5f");
  ASSERT_TRUE(trace.ok() && trace->status == 200) << (trace.ok() ? trace->body : "");
  const YAML::Node spans = YAML::Load(trace->body)["data"][0]["spans"];
  ASSERT_EQ(spans.size(), 2u) << trace->body;
  for (const YAML::Node& span : spans) {
    if (span["spanID"].as<std::string>() != "452bff9a74ca9ad3") continue;
    ASSERT_EQ(span["references"].size(), 1u) << trace->body;
    EXPECT_EQ(span["references"][0]["refType"].as<std::string>(), "CHILD_OF");
    EXPECT_EQ(span["references"][0]["spanID"].as<std::string>(), "352bff9a74ca9ad2");
  }
  EXPECT_THAT(trace->body, HasSubstr(R"("key":"istio.mesh_id","type":"string","value":"cluster.local")"));
  // Searching by service needs the time window (microseconds).
  absl::StatusOr<HttpResponse> found = HttpGet(
      jaeger->query_address(),
      absl::StrCat("/api/traces?service=pilot&start=", now_us - 60'000'000, "&end=", now_us + 60'000'000));
  ASSERT_TRUE(found.ok());
  EXPECT_THAT(found->body, HasSubstr("\"operationName\":\"push\""));
  jaeger->process.Terminate();
}

// Keel's exporter against the real collector: spans batched off the
// caller's thread arrive as one trace; while the collector is down every
// span is dropped and counted (nothing grows), and once it is back at the
// same address export resumes.
TEST(JaegerTest, TheZipkinExporterBatchesAndDropsWhileTheCollectorIsDown) {
  absl::StatusOr<JaegerServer> jaeger = StartJaeger();
  ASSERT_TRUE(jaeger.ok()) << jaeger.status();
  tracing::ZipkinExporter exporter({.address = jaeger->zipkin_address(), .max_queued = 1000,
                                    .max_batch = 100, .flush_interval = absl::Milliseconds(100),
                                    .timeout = absl::Seconds(2)});
  auto export_trace = [&](int spans, const std::string& service) {
    const tracing::TraceContext root = tracing::TraceContext::Root(tracing::RandomIds(), true);
    for (int i = 0; i < spans; ++i) {
      exporter.Export(tracing::Span{.context = root.Child(tracing::RandomIds()),
                                    .name = "call",
                                    .kind = tracing::Span::Kind::kClient,
                                    .start = absl::Now(),
                                    .duration = absl::Microseconds(100),
                                    .service = service});
    }
    return root.TraceIdHex();
  };
  auto spans_in = [&](const std::string& trace_id) -> size_t {
    absl::StatusOr<HttpResponse> trace = HttpGet(jaeger->query_address(), "/api/traces/" + trace_id);
    if (!trace.ok() || trace->status != 200) return 0;
    const YAML::Node data = YAML::Load(trace->body)["data"];
    return data && data.size() > 0 ? data[0]["spans"].size() : 0;
  };
  const std::string first = export_trace(250, "client.default");
  ASSERT_TRUE(Eventually([&] { return spans_in(first) == 250; }, absl::Seconds(20)))
      << spans_in(first) << " spans; exported " << exporter.counts().exported;
  EXPECT_EQ(exporter.counts().exported, 250u);
  EXPECT_EQ(exporter.counts().dropped, 0u);

  // The collector down: 5,000 spans, each one dropped and counted.
  jaeger->process.Terminate();
  export_trace(5000, "client.default");
  EXPECT_LE(exporter.queued(), 1000u);
  ASSERT_TRUE(Eventually(
      [&] {
        const tracing::ZipkinExporter::Counts counts = exporter.counts();
        return counts.exported + counts.dropped == 5250;
      },
      absl::Seconds(60)));
  EXPECT_EQ(exporter.counts().exported, 250u);
  EXPECT_EQ(exporter.counts().dropped, 5000u);
  EXPECT_GT(exporter.counts().requests_failed, 0u);

  // Back at the same address: export resumes.
  absl::StatusOr<JaegerServer> back = StartJaeger(&*jaeger);
  ASSERT_TRUE(back.ok()) << back.status();
  jaeger = std::move(back);
  const std::string after = export_trace(10, "client.default");
  EXPECT_TRUE(Eventually([&] { return spans_in(after) == 10; }, absl::Seconds(20)));
  EXPECT_EQ(exporter.counts().exported, 260u);
  jaeger->process.Terminate();
}

}  // namespace
}  // namespace keel::testing
