#include "libs/tracing/zipkin_exporter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::tracing {
namespace {

TEST(ZipkinJsonTest, ASpanAsZipkinV2) {
  Span span{.context = {.trace_id_high = 0x463ac35c9f6413ad,
                        .trace_id_low = 0x48485a3953bb6124,
                        .span_id = 0xa2fb4a1d1a96d312,
                        .parent_span_id = 0x20000000000001,
                        .sampling = Sampling::kSampled},
            .name = "echo.default.svc.cluster.local:7070/*",
            .kind = Span::Kind::kServer,
            .start = absl::FromUnixMicros(1765170000000000),
            .duration = absl::Microseconds(1500),
            .service = "echo-v1.default",
            .tags = {{"istio.mesh_id", "cluster.local"}, {"grpc.status_code", "0"}}};
  EXPECT_EQ(ZipkinJson({span}),
            R"([{"traceId":"463ac35c9f6413ad48485a3953bb6124","id":"a2fb4a1d1a96d312",)"
            R"("parentId":"0020000000000001","name":"echo.default.svc.cluster.local:7070/*","kind":"SERVER",)"
            R"("timestamp":1765170000000000,"duration":1500,"localEndpoint":{"serviceName":"echo-v1.default"},)"
            R"("tags":{"grpc.status_code":"0","istio.mesh_id":"cluster.local"}}])");
  // No parent, debug, and never a zero duration.
  span.context.parent_span_id = 0;
  span.context.sampling = Sampling::kDebug;
  span.duration = absl::ZeroDuration();
  span.tags.clear();
  const std::string json = ZipkinJson({span});
  EXPECT_THAT(json, ::testing::Not(::testing::HasSubstr("parentId")));
  EXPECT_THAT(json, ::testing::HasSubstr(R"("duration":1,"debug":true)"));
}

TEST(ZipkinExporterTest, AFullQueueDropsAndCountsWithoutBlocking) {
  // Nothing flushes on its own here (a batch is never full, the interval
  // is long): what the queue holds is what was let in.
  ZipkinExporter exporter({.address = "127.0.0.1:1", .max_queued = 10, .max_batch = 1000,
                           .flush_interval = absl::Hours(1), .timeout = absl::Milliseconds(200)});
  for (int i = 0; i < 50; ++i) exporter.Export(Span{.name = "s"});
  EXPECT_EQ(exporter.queued(), 10u);
  EXPECT_EQ(exporter.counts().dropped, 40u);
  EXPECT_EQ(exporter.counts().exported, 0u);
}

}  // namespace
}  // namespace keel::tracing
