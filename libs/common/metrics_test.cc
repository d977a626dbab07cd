#include "libs/common/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/counter.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& families,
                                     const std::string& name) {
  for (const auto& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

TEST(ProcessCollectorTest, ReportsThisProcess) {
  // Burn a little CPU and memory so the readings cannot be zero.
  std::vector<char> block(16 << 20, 1);
  volatile long sum = 0;
  for (long i = 0; i < 50000000; ++i) sum = sum + i;

  auto families = ProcessCollector().Collect();
  const auto* rss = Find(families, "process_resident_memory_bytes");
  ASSERT_NE(rss, nullptr);
  EXPECT_GT(rss->metric[0].gauge.value, 16 << 20);
  const auto* cpu = Find(families, "process_cpu_seconds_total");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->type, prometheus::MetricType::Counter);
  EXPECT_GT(cpu->metric[0].counter.value, 0);
  const auto* fds = Find(families, "process_open_fds");
  ASSERT_NE(fds, nullptr);
  EXPECT_GE(fds->metric[0].gauge.value, 3);  // stdin, stdout, stderr at least
  const auto* start = Find(families, "process_start_time_seconds");
  ASSERT_NE(start, nullptr);
  EXPECT_NEAR(start->metric[0].gauge.value, static_cast<double>(std::time(nullptr)), 600);
}

TEST(MetricsRegistryTest, SerializesOwnFamiliesBuildInfoAndProcessMetrics) {
  MetricsRegistry metrics("pilot");
  prometheus::BuildCounter()
      .Name("pilot_xds_pushes")
      .Help("Pushes.")
      .Register(metrics.registry())
      .Add({{"type", "cds"}})
      .Increment(3);
  std::string text = metrics.SerializeText();
  EXPECT_THAT(text, HasSubstr("# TYPE pilot_xds_pushes counter"));
  EXPECT_THAT(text, HasSubstr("pilot_xds_pushes{type=\"cds\"} 3"));
  EXPECT_THAT(text, HasSubstr("keel_build_info{commit="));
  EXPECT_THAT(text, HasSubstr("component=\"pilot\""));
  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes "));
}

}  // namespace
}  // namespace keel
