#include "services/mixer/adapters/adapter.h"
#include "services/mixer/adapters/memquota.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace keel::mixer {
namespace {

using ::testing::HasSubstr;

google::protobuf::Struct Params(const std::string& json) {
  google::protobuf::Struct params;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &params).ok()) << json;
  return params;
}

std::unique_ptr<CheckAdapter> Adapter(const std::string& name, const std::string& json) {
  absl::StatusOr<std::unique_ptr<CheckAdapter>> adapter = NewCheckAdapter(name, Params(json));
  EXPECT_TRUE(adapter.ok()) << adapter.status();
  return adapter.ok() ? *std::move(adapter) : nullptr;
}

std::vector<InstanceValue> Entry(AttributeValue value) {
  return {InstanceValue{.name = "e", .template_name = "listentry", .fields = {{"value", value}}}};
}

TEST(DenierTest, AnswersItsStatusAndValidity) {
  auto denier = Adapter("denier",
                        R"({"status": {"code": 7, "message": "Not allowed"}, "validDuration": "2s",
                            "validUseCount": 3})");
  CheckResult result = denier->Check({});
  EXPECT_EQ(result.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(result.status.message(), "Not allowed");
  EXPECT_EQ(result.valid_duration, absl::Seconds(2));
  EXPECT_EQ(result.valid_use_count, 3);
  EXPECT_THAT(NewCheckAdapter("denier", Params(R"({"status": {"code": 99}})")).status().message(),
              HasSubstr("params.status.code: not a gRPC status code"));
}

TEST(ListCheckerTest, WhitelistsAndBlacklistsOfEachEntryType) {
  auto whitelist = Adapter("listchecker", R"({"overrides": ["v1", "v2"], "blacklist": false})");
  EXPECT_TRUE(whitelist->Check(Entry(std::string("v1"))).status.ok());
  EXPECT_EQ(whitelist->Check(Entry(std::string("v3"))).status.message(), "v3 is not whitelisted");
  auto blacklist = Adapter("list", R"({"overrides": ["v3"], "blacklist": true})");
  EXPECT_EQ(blacklist->Check(Entry(std::string("v3"))).status.message(), "v3 is blacklisted");
  EXPECT_TRUE(blacklist->Check(Entry(std::string("v1"))).status.ok());
  auto folded = Adapter("listchecker", R"({"overrides": ["Admin"], "entryType": "CASE_INSENSITIVE_STRINGS"})");
  EXPECT_TRUE(folded->Check(Entry(std::string("ADMIN"))).status.ok());
  auto regex = Adapter("listchecker", R"({"overrides": ["^/api/v[0-9]+/.*$"], "entryType": "REGEX"})");
  EXPECT_TRUE(regex->Check(Entry(std::string("/api/v2/x"))).status.ok());
  EXPECT_FALSE(regex->Check(Entry(std::string("/admin"))).status.ok());
  auto ips = Adapter("listchecker",
                     R"({"overrides": ["10.57.0.0/16", "2001:db8::/32"], "entryType": "IP_ADDRESSES",
                         "blacklist": true})");
  EXPECT_FALSE(ips->Check(Entry(Bytes{std::string("\x0a\x39\x01\x02", 4)})).status.ok());
  EXPECT_TRUE(ips->Check(Entry(Bytes{std::string("\x0a\x3a\x01\x02", 4)})).status.ok());
  EXPECT_EQ(ips->Check(Entry(std::string("10.57.3.4"))).status.message(), "10.57.3.4 is blacklisted");
}

TEST(ListCheckerTest, BadParamsNameTheField) {
  EXPECT_THAT(NewCheckAdapter("listchecker", Params(R"({"entryType": "WORDS"})")).status().message(),
              HasSubstr("params.entryType: \"WORDS\" is not STRINGS"));
  EXPECT_THAT(NewCheckAdapter("listchecker",
                              Params(R"({"entryType": "REGEX", "overrides": ["a("]})"))
                  .status()
                  .message(),
              HasSubstr("params.overrides: bad regex \"a(\""));
  EXPECT_THAT(NewCheckAdapter("listchecker",
                              Params(R"({"entryType": "IP_ADDRESSES", "overrides": ["10.0.0.0/40"]})"))
                  .status()
                  .message(),
              HasSubstr("bad prefix length"));
  EXPECT_EQ(NewCheckAdapter("prometheus", Params("{}")).status().code(), absl::StatusCode::kNotFound);
}

InstanceValue QuotaInstance(const std::string& destination) {
  return InstanceValue{.name = "istio-system/requestcountquota",
                       .template_name = "quota",
                       .fields = {{"dimensions.destination", destination},
                                  {"dimensions.source", std::string("10.0.0.1")}}};
}

// Istio's bookinfo rate limit: productpage 2 per 5 s, everything else 500/s.
TEST(MemQuotaTest, RollingWindowsPerDimensionOverridesAndDeduplication) {
  absl::Time now = absl::FromUnixSeconds(1000);
  absl::StatusOr<std::unique_ptr<MemQuota>> quota = MemQuota::FromParams(
      Params(R"({"quotas": [{"name": "requestcountquota.instance.istio-system", "maxAmount": 500,
                 "validDuration": "1s",
                 "overrides": [{"dimensions": {"destination": "productpage"}, "maxAmount": 2,
                                "validDuration": "5s"}]}]})"),
      [&now] { return now; });
  ASSERT_TRUE(quota.ok()) << quota.status();
  auto alloc = [&](const std::string& destination, const std::string& dedup = "") {
    return (*quota)->Alloc(QuotaInstance(destination), QuotaRequest{.deduplication_id = dedup}).granted;
  };
  EXPECT_EQ(alloc("productpage"), 1);
  EXPECT_EQ(alloc("productpage", "req-1"), 1);
  EXPECT_EQ(alloc("productpage", "req-1"), 1);  // the same request again: not charged twice
  EXPECT_EQ(alloc("productpage"), 0);           // the window holds 2
  EXPECT_EQ(alloc("reviews"), 1);               // the default limit applies to others
  now += absl::Seconds(4);
  EXPECT_EQ(alloc("productpage"), 0);  // still inside the 5 s window
  now += absl::Seconds(2);
  EXPECT_EQ(alloc("productpage"), 1);  // the first charges rolled out
  // Best effort takes what is left; all-or-nothing takes nothing.
  EXPECT_EQ((*quota)->Alloc(QuotaInstance("productpage"), QuotaRequest{.amount = 5}).granted, 0);
  EXPECT_EQ(
      (*quota)->Alloc(QuotaInstance("productpage"), QuotaRequest{.amount = 5, .best_effort = true})
          .granted,
      1);
  EXPECT_THAT(MemQuota::FromParams(Params(R"({"quotas": [{"name": "q"}]})")).status().message(),
              HasSubstr("params.quotas[0].maxAmount: a non-negative number is required"));
}

// The windows and remembered answers are keyed by what callers send: a
// flood of new dimension values or deduplication ids stays within the
// tables' bytes, evicting the least recently used (and counting it).
TEST(MemQuotaTest, TablesKeyedByCallersStayWithinTheirBytes) {
  absl::Time now = absl::FromUnixSeconds(1000);
  absl::StatusOr<std::unique_ptr<MemQuota>> quota = MemQuota::FromParams(
      Params(R"({"quotas": [{"name": "requestcountquota.instance.istio-system", "maxAmount": 2,
                 "validDuration": "60s"}]})"),
      [&now] { return now; }, MemQuotaLimits{.max_window_bytes = 1 << 20, .max_answer_bytes = 1 << 20});
  ASSERT_TRUE(quota.ok()) << quota.status();
  const uint64_t evicted_before = TableStats::For("memquota_windows").evictions.load();
  const std::string long_value(4096, 'v');  // longer than a key is kept
  for (int i = 0; i < 20000; ++i) {
    now += absl::Milliseconds(1);
    (*quota)->Alloc(QuotaInstance(absl::StrCat(long_value, i)),
                    QuotaRequest{.deduplication_id = absl::StrCat("id-", i, std::string(200, 'x'))});
  }
  EXPECT_LT((*quota)->window_count(), 1500u);
  EXPECT_GT((*quota)->window_count(), 100u);
  EXPECT_LT((*quota)->answer_count(), 3000u);
  EXPECT_GT(TableStats::For("memquota_windows").evictions.load() - evicted_before, 15000u);
  EXPECT_EQ(TableStats::For("memquota_windows").entries.load(),
            static_cast<int64_t>((*quota)->window_count()));
  // A recent caller's window is kept, and still limits it.
  EXPECT_EQ((*quota)->Alloc(QuotaInstance("recent"), {}).granted, 1);
  EXPECT_EQ((*quota)->Alloc(QuotaInstance("recent"), {}).granted, 1);
  EXPECT_EQ((*quota)->Alloc(QuotaInstance("recent"), {}).granted, 0);
  // Windows whose charges have all rolled out are dropped, not evicted.
  now += absl::Minutes(2);
  const uint64_t evicted = TableStats::For("memquota_windows").evictions.load();
  EXPECT_EQ((*quota)->Alloc(QuotaInstance("later"), {}).granted, 1);
  EXPECT_EQ((*quota)->window_count(), 1u);
  EXPECT_EQ(TableStats::For("memquota_windows").evictions.load(), evicted);
  quota->reset();
  EXPECT_EQ(TableStats::For("memquota_windows").entries.load(), 0);
}

// However many requests a window counts, it keeps kChargesPerWindow
// charges; the limit still holds.
TEST(MemQuotaTest, AWindowHoldsABoundedNumberOfCharges) {
  absl::Time now = absl::FromUnixSeconds(1000);
  absl::StatusOr<std::unique_ptr<MemQuota>> quota = MemQuota::FromParams(
      Params(R"({"quotas": [{"name": "requestcountquota.instance.istio-system",
                 "maxAmount": 100000, "validDuration": "1s"}]})"),
      [&now] { return now; });
  ASSERT_TRUE(quota.ok());
  int64_t granted = 0;
  for (int i = 0; i < 150000; ++i) {
    now += absl::Microseconds(5);  // 150,000 requests in 0.75 s
    granted += (*quota)->Alloc(QuotaInstance("busy"), {}).granted;
  }
  EXPECT_EQ(granted, 100000);
}

// Prometheus series are labelled by what callers report: bounded the same
// way, and expired as Istio's metricsExpirationPolicy says.
TEST(PrometheusTest, SeriesAreBoundedAndExpire) {
  prometheus::Registry registry;
  absl::StatusOr<std::unique_ptr<ReportAdapter>> adapter = NewReportAdapter(
      "prometheus",
      Params(R"({"metrics": [{"name": "requests_total", "instanceName": "requestcount.instance.istio-system",
                              "kind": "COUNTER", "labelNames": ["user"]}]})"),
      registry);
  ASSERT_TRUE(adapter.ok()) << adapter.status();
  auto report = [&](const std::string& user) {
    (*adapter)->Report({InstanceValue{.name = "istio-system/requestcount",
                                      .template_name = "metric",
                                      .fields = {{"value", int64_t{1}},
                                                 {"dimensions.user", user}}}});
  };
  auto series = [&] {
    size_t count = 0;
    for (const auto& family : registry.Collect()) count += family.metric.size();
    return count;
  };
  const uint64_t evicted_before = TableStats::For("prometheus_series").evictions.load();
  for (int i = 0; i < 40000; ++i) report(absl::StrCat(std::string(1000, 'u'), i));
  EXPECT_LT(series(), 8000u);
  EXPECT_GT(series(), 1000u);
  EXPECT_GT(TableStats::For("prometheus_series").evictions.load() - evicted_before, 30000u);


  // With an expiry, a series not reported again goes; one still reported stays.
  prometheus::Registry expiring_registry;
  absl::StatusOr<std::unique_ptr<ReportAdapter>> expiring = NewReportAdapter(
      "prometheus",
      Params(R"({"metrics": [{"name": "requests_total", "instanceName": "requestcount.instance.istio-system",
                              "kind": "COUNTER", "labelNames": ["user"]}],
                 "metricsExpirationPolicy": {"metricsExpiryDuration": "0.2s",
                                             "expiryCheckIntervalDuration": "0.01s"}})"),
      expiring_registry);
  ASSERT_TRUE(expiring.ok()) << expiring.status();
  auto users = [&] {
    std::set<std::string> out;
    for (const auto& family : expiring_registry.Collect()) {
      for (const auto& metric : family.metric) out.insert(metric.label.at(0).value);
    }
    return out;
  };
  auto report_to = [&](const std::string& user) {
    (*expiring)->Report({InstanceValue{.name = "istio-system/requestcount", .template_name = "metric",
                                       .fields = {{"value", int64_t{1}}, {"dimensions.user", user}}}});
  };
  report_to("once");
  report_to("often");
  EXPECT_EQ(users(), std::set<std::string>({"once", "often"}));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (users().count("once") && absl::Now() < deadline) {
    report_to("often");
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(users(), std::set<std::string>({"often"}));

  EXPECT_THAT(NewReportAdapter("prometheus",
                               Params(R"({"metricsExpirationPolicy": {"metricsExpiryDuration": "soon"}})"),
                               registry)
                  .status()
                  .message(),
              HasSubstr("params.metricsExpirationPolicy.metricsExpiryDuration: not a duration"));
}

// redisquota's params are checked before any Redis is needed; an
// unreachable Redis is a refusal (failOpen: false) or a grant (true), never a crash.
TEST(RedisQuotaTest, BadParamsNameTheFieldAndNoRedisFollowsFailOpen) {
  auto error = [](const std::string& json) {
    return std::string(NewQuotaAdapter("redisquota", Params(json)).status().message());
  };
  EXPECT_THAT(error("{}"), HasSubstr("params.redisServerUrl: required"));
  EXPECT_THAT(error(R"({"redisServerUrl": "redis"})"), HasSubstr("\"redis\" is not host:port"));
  EXPECT_THAT(error(R"({"redisServerUrl": "r:1", "connectionPoolSize": 0})"),
              HasSubstr("params.connectionPoolSize: must be 1..1000"));
  EXPECT_THAT(error(R"({"redisServerUrl": "r:1", "quotas": [{"name": "q", "maxAmount": 1,
                        "rateLimitAlgorithm": "LEAKY"}]})"),
              HasSubstr("params.quotas[0].rateLimitAlgorithm: \"LEAKY\" is not FIXED_WINDOW"));
  EXPECT_THAT(error(R"({"redisServerUrl": "r:1", "quotas": [{"name": "q", "maxAmount": 1,
                        "bucketDuration": "-1s"}]})"),
              HasSubstr("params.quotas[0].bucketDuration"));
  for (bool fail_open : {false, true}) {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    absl::StatusOr<std::unique_ptr<QuotaAdapter>> quota = NewQuotaAdapter(
        "redisquota",
        Params(absl::StrCat(R"({"redisServerUrl": "127.0.0.1:1", "failOpen": )",
                            fail_open ? "true" : "false",
                            R"(, "quotas": [{"name": "requestcountquota.instance.istio-system",
                                "maxAmount": 5, "validDuration": "1s"}]})")));
    ASSERT_TRUE(quota.ok()) << quota.status();
    EXPECT_EQ((*quota)->Alloc(QuotaInstance("reviews"), QuotaRequest{.amount = 2}).granted,
              fail_open ? 2 : 0);
  }
}

TEST(StdioTest, LogEntriesAreOneJsonObjectALine) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(tmp != nullptr ? tmp : "/tmp") + "/access.log";
  std::remove(path.c_str());
  prometheus::Registry registry;
  absl::StatusOr<std::unique_ptr<ReportAdapter>> stdio = NewReportAdapter(
      "stdio", Params(R"({"logStream": "FILE", "outputPath": ")" + path + R"("})"), registry);
  ASSERT_TRUE(stdio.ok()) << stdio.status();
  (*stdio)->Report({InstanceValue{.name = "istio-system/accesslog",
                                  .template_name = "logentry",
                                  .fields = {{"severity", std::string("warning")},
                                             {"variables.path", std::string("/a\"b")},
                                             {"variables.code", int64_t{503}}}}});
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  google::protobuf::Struct entry;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &entry).ok()) << line;
  EXPECT_EQ(entry.fields().at("level").string_value(), "warning");
  EXPECT_EQ(entry.fields().at("path").string_value(), "/a\"b");
  EXPECT_EQ(entry.fields().at("code").number_value(), 503);
  EXPECT_EQ(entry.fields().at("instance").string_value(), "istio-system/accesslog");
  EXPECT_THAT(NewReportAdapter("stdio", Params(R"({"logStream": "SYSLOG"})"), registry)
                  .status()
                  .message(),
              HasSubstr("params.logStream: \"SYSLOG\" is not STDOUT, STDERR or FILE"));
}

}  // namespace
}  // namespace keel::mixer
