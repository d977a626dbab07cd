// End to end: Galley serves Istio 1.4's own Mixer config (the bookinfo
// deny-by-label sample and the standard attribute manifest, unchanged) to
// the real mixer binary, which a client built from Istio's Mixer API asks.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "integration/harness/eventually.h"
#include "integration/harness/mesh.h"
#include "integration/harness/prometheus.h"
#include "libs/common/http_client.h"
#include "libs/mesh/testing/shared_testdata.h"
#include "libs/mixer/attributes.h"
#include "proto/istio/mixer/v1/mixer.grpc.pb.h"

namespace keel::testing {
namespace {

using ::testing::HasSubstr;

class MixerTest : public MeshTest {
 protected:
  void SetUp() override {
    config_ = TestTempDir("mixer-config");
    const std::string shared = mesh::testing::IstioTestdataDir();
    for (const char* file : {"mixer-api-1.4/attributes.yaml", "mixer-policy-1.4/mixer-rule-deny-label.yaml"}) {
      std::filesystem::copy_file(shared + "/" + file,
                                 config_ + "/" + std::filesystem::path(file).filename().string());
    }
    dictionary_path_ = shared + "/mixer-api-1.4/global_dictionary.yaml";
    absl::StatusOr<mixer::GlobalDictionary> dictionary =
        mixer::GlobalDictionary::FromFile(dictionary_path_);
    ASSERT_TRUE(dictionary.ok());
    dictionary_ = *std::move(dictionary);
    std::string mixer_address;
    if (OneProcess()) {
      // Galley and Mixer in one `keel` process (no CA needed here).
      absl::StatusOr<RunningService*> keel =
          mesh().Start("keel", {"--config_dir=" + config_, "--debounce=20ms", "--ca_address="});
      ASSERT_TRUE(keel.ok()) << keel.status();
      mixer_ = *keel;
      ASSERT_TRUE(mixer_->WaitReady().ok()) << mixer_->process().Log();
      mixer_address = mixer_->grpc_address_of("mixer");
    } else {
      absl::StatusOr<RunningService*> galley =
          mesh().Start("galley", {"--config_dir=" + config_, "--debounce=20ms"});
      ASSERT_TRUE(galley.ok());
      ASSERT_TRUE((*galley)->WaitReady().ok());
      // No --global_dictionary: Istio 1.4's is built in, and the test's
      // client compresses with the team's own copy of it, as a 1.4 proxy does.
      absl::StatusOr<RunningService*> mixer =
          mesh().Start("mixer", {"--galley_address=" + (*galley)->grpc_address()});
      ASSERT_TRUE(mixer.ok());
      mixer_ = *mixer;
      ASSERT_TRUE(mixer_->WaitReady().ok()) << mixer_->process().Log();
      mixer_address = mixer_->grpc_address();
    }
    stub_ = istio::mixer::v1::Mixer::NewStub(
        grpc::CreateChannel(mixer_address, grpc::InsecureChannelCredentials()));
  }

  // Whether Galley and Mixer run in one process (`keel`).
  virtual bool OneProcess() const { return false; }

  void TearDown() override {
    stub_.reset();
    MeshTest::TearDown();
  }

  // A request from reviews `version` to ratings, as a sidecar would send it.
  istio::mixer::v1::CheckRequest FromReviews(const std::string& version) {
    mixer::AttributeBag bag = {
        {"destination.namespace", std::string("default")},
        {"destination.labels", mixer::StringMap{{"app", "ratings"}, {"version", "v1"}}},
        {"source.labels", mixer::StringMap{{"app", "reviews"}, {"version", version}}},
        {"request.path", std::string("/ratings/0")},
    };
    return Encoded(bag);
  }

  // A Check of `bag`'s attributes, compressed with Istio's dictionary.
  istio::mixer::v1::CheckRequest Encoded(const mixer::AttributeBag& bag) const {
    istio::mixer::v1::CheckRequest request;
    *request.mutable_attributes() = mixer::Encode(bag, dictionary_);
    request.set_global_word_count(static_cast<uint32_t>(dictionary_.size()));
    return request;
  }

  // Asks `stub` (the fixture's Mixer when null).
  grpc::Status Check(const istio::mixer::v1::CheckRequest& request,
                     istio::mixer::v1::CheckResponse* response,
                     istio::mixer::v1::Mixer::Stub* stub = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (stub != nullptr ? stub : stub_.get())->Check(&context, request, response);
  }

  // What Istio's rate-limit samples' requestcountquota grants one request
  // to `app` with deduplication id `dedup` (-1 when the Check fails).
  int64_t RequestCountGranted(const std::string& app, const std::string& dedup,
                              istio::mixer::v1::Mixer::Stub* stub = nullptr) {
    istio::mixer::v1::CheckRequest request =
        Encoded({{"destination.namespace", std::string("default")},
                 {"destination.labels", mixer::StringMap{{"app", app}}}});
    request.set_deduplication_id(dedup);
    (*request.mutable_quotas())["requestcountquota"].set_amount(1);
    istio::mixer::v1::CheckResponse response;
    grpc::Status status = Check(request, &response, stub);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return status.ok() ? response.quotas().at("requestcountquota").granted_amount() : -1;
  }

  // Starts Debian's Prometheus on loopback, scraping Mixer every second.
  uint16_t StartPrometheus() {
    absl::StatusOr<PrometheusServer> prometheus =
        testing::StartPrometheus(mixer_->monitoring_address());
    EXPECT_TRUE(prometheus.ok()) << prometheus.status();
    if (!prometheus.ok()) return 0;
    prometheus_.push_back(std::move(prometheus->process));
    return prometheus->port;
  }
  ~MixerTest() override {
    for (ChildProcess& prometheus : prometheus_) prometheus.Terminate();
  }

  // Polls Prometheus's HTTP API with PromQL `query` until the single
  // series it returns has `value`; returns the last answer on failure.
  ::testing::AssertionResult PrometheusSays(uint16_t port, const std::string& query,
                                            const std::string& value) {
    std::string last;
    const bool said = Eventually(
        [&] {
          absl::StatusOr<HttpResponse> answer = HttpGet(
              absl::StrCat("127.0.0.1:", port), "/api/v1/query?query=" + UrlEncode(query),
              absl::Seconds(2));
          if (!answer.ok()) return false;
          last = answer->body;
          return absl::StrContains(last, absl::StrCat("\"", value, "\"]}]"));
        },
        absl::Seconds(60), absl::Milliseconds(200));
    if (said) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << query << " never gave " << value << "; last: " << last;
  }

  static std::string UrlEncode(const std::string& text) {
    std::string out;
    for (unsigned char c : text) {
      if (absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-') {
        out += static_cast<char>(c);
      } else {
        out += absl::StrFormat("%%%02X", c);
      }
    }
    return out;
  }

  std::string config_;
  std::string dictionary_path_;
  std::vector<ChildProcess> prometheus_;
  mixer::GlobalDictionary dictionary_;
  RunningService* mixer_ = nullptr;
  std::unique_ptr<istio::mixer::v1::Mixer::Stub> stub_;
};

// Policy scenarios in both shapes: Galley and Mixer as two binaries
// ("split"), and as the one-process `keel` ("istiod"), where Mixer reads its
// config in process.
class MixerScenarioTest : public MixerTest, public ::testing::WithParamInterface<std::string> {
 protected:
  bool OneProcess() const override { return GetParam() == "istiod"; }
};

INSTANTIATE_TEST_SUITE_P(Modes, MixerScenarioTest, ::testing::Values("split", "istiod"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST_P(MixerScenarioTest, IstiosDenyByLabelSampleDeniesOnlyReviewsV3) {
  istio::mixer::v1::CheckResponse denied;
  ASSERT_TRUE(Check(FromReviews("v3"), &denied).ok());
  EXPECT_EQ(denied.precondition().status().code(), 7);  // PERMISSION_DENIED, from the handler
  EXPECT_EQ(denied.precondition().status().message(), "Not allowed");
  EXPECT_GT(denied.precondition().valid_duration().seconds(), 0);
  istio::mixer::v1::CheckResponse allowed;
  ASSERT_TRUE(Check(FromReviews("v2"), &allowed).ok());
  EXPECT_EQ(allowed.precondition().status().code(), 0);
}

TEST_F(MixerTest, MalformedAttributesAreInvalidArgumentsAndMixerCarriesOn) {
  istio::mixer::v1::CheckRequest bad = FromReviews("v3");
  (*bad.mutable_attributes()->mutable_strings())[9999] = 1;
  istio::mixer::v1::CheckResponse response;
  grpc::Status status = Check(bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("word index 9999"));
  ASSERT_TRUE(Check(FromReviews("v3"), &response).ok());
  EXPECT_EQ(response.precondition().status().code(), 7);
}

TEST_F(MixerTest, ReportsDecodeDeltaEncodedBatches) {
  istio::mixer::v1::ReportRequest report;
  report.set_global_word_count(static_cast<uint32_t>(dictionary_.size()));
  for (const char* version : {"v1", "v2", "v3"}) {
    *report.add_attributes() = FromReviews(version).attributes();
  }
  grpc::ClientContext context;
  istio::mixer::v1::ReportResponse response;
  grpc::Status status = stub_->Report(&context, report, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  absl::StatusOr<HttpResponse> metrics = HttpGet(mixer_->monitoring_address(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->body, HasSubstr("mixer_report_attribute_sets_total 3"));
}

// Mixer's resident memory now, from /proc.
double ResidentMb(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    double kb = 0;
    if (absl::StartsWith(line, "VmRSS:") &&
        absl::SimpleAtod(absl::StripAsciiWhitespace(absl::StripSuffix(line.substr(6), "kB")), &kb)) {
      return kb / 1024;
    }
  }
  return -1;
}

// The amplification attacks of the hostile-world review, each sent without
// credentials: every one is refused with a clear error, Mixer keeps
// answering, and its resident memory stays within what its bounds allow
// (it grew by 2 GB, 330 MB, 636 MB and 95 MB before the bounds).
TEST_F(MixerTest, AmplificationRequestsAreRefusedAndMemoryStaysFlat) {
  std::filesystem::copy_file(
      mesh::testing::IstioTestdataDir() + "/mixer-policy-1.4/mixer-rule-productpage-ratelimit.yaml",
      config_ + "/ratelimit.yaml");
  ASSERT_TRUE(WaitForLog(mixer_->process(), "Mixer config: 2 rules", absl::Seconds(20)))
      << mixer_->process().Log();
  const pid_t pid = mixer_->process().pid();
  istio::mixer::v1::CheckResponse response;
  ASSERT_TRUE(Check(FromReviews("v1"), &response).ok());
  const double baseline = ResidentMb(pid);
  std::cout << "Mixer RSS before the attacks: " << baseline << " MB\n";

  // 1. A 1 MB Check whose attributes all name one 1 MB word, two at once.
  istio::mixer::v1::CheckRequest words;
  words.mutable_attributes()->add_words(std::string(1 << 20, 'w'));
  for (int i = 0; i < 1000; ++i) {
    words.mutable_attributes()->add_words(absl::StrCat("a", i));
    (*words.mutable_attributes()->mutable_strings())[-2 - i] = -1;
  }
  for (int round = 0; round < 3; ++round) {
    std::vector<grpc::Status> answers(2);
    std::vector<std::thread> attackers;
    for (grpc::Status& answer : answers) {
      attackers.emplace_back([&, out = &answer] {
        istio::mixer::v1::CheckResponse ignored;
        *out = Check(words, &ignored);
      });
    }
    for (std::thread& t : attackers) t.join();
    for (const grpc::Status& answer : answers) {
      EXPECT_EQ(answer.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
      EXPECT_THAT(answer.error_message(), HasSubstr("more than 4194304 bytes"));
    }
  }
  std::cout << "after repeated-word Checks: " << ResidentMb(pid) << " MB\n";

  // 2. A 12 KB DELTA_ENCODING Report: the first set names a 4 KB word 200
  // times, and each of 400 more sets (5 bytes each) copies the whole bag.
  istio::mixer::v1::ReportRequest delta;
  delta.set_repeated_attributes_semantics(istio::mixer::v1::ReportRequest::DELTA_ENCODING);
  delta.add_default_words(std::string(4096, 'd'));
  for (int i = 0; i < 200; ++i) delta.add_default_words(absl::StrCat("n", i));
  auto& first = *delta.add_attributes();
  for (int i = 0; i < 200; ++i) (*first.mutable_strings())[-2 - i] = -1;
  for (int i = 0; i < 400; ++i) (*delta.add_attributes()->mutable_int64s())[-2] = i;
  EXPECT_LT(delta.ByteSizeLong(), 13000u);
  {
    grpc::ClientContext context;
    istio::mixer::v1::ReportResponse ignored;
    grpc::Status status = stub_->Report(&context, delta, &ignored);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(status.error_message(), HasSubstr("attribute set "));
  }
  std::cout << "after the delta Report: " << ResidentMb(pid) << " MB\n";

  // 3. 300 deduplication ids of 1 MiB.
  istio::mixer::v1::CheckRequest dedup = FromReviews("v1");
  (*dedup.mutable_quotas())["requestcountquota"].set_amount(1);
  for (int i = 0; i < 300; ++i) {
    dedup.set_deduplication_id(std::string(1 << 20, static_cast<char>('a' + i % 26)) +
                               std::to_string(i));
    grpc::Status status = Check(dedup, &response);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    ASSERT_THAT(status.error_message(), HasSubstr("bytes; the limit is 256"));
  }
  std::cout << "after 1 MiB deduplication ids: " << ResidentMb(pid) << " MB\n";

  // 4. 20,000 new quota dimension values (the sample's destination is the
  // app label), each 4 KB, with a deduplication id each.
  for (int i = 0; i < 20000; ++i) {
    mixer::AttributeBag bag = {
        {"destination.namespace", std::string("default")},
        {"destination.labels",
         mixer::StringMap{{"app", absl::StrCat(std::string(4096, 'x'), i)}}}};
    istio::mixer::v1::CheckRequest request = Encoded(bag);
    (*request.mutable_quotas())["requestcountquota"].set_amount(1);
    request.set_deduplication_id(absl::StrCat("attack-", i));
    ASSERT_TRUE(Check(request, &response).ok());
  }
  const double after = ResidentMb(pid);
  std::cout << "after 20,000 dimension values: " << after << " MB\n";

  // The memquota tables evicted rather than grew, and say so.
  absl::StatusOr<HttpResponse> metrics = HttpGet(mixer_->monitoring_address(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->body, HasSubstr("mixer_adapter_table_evictions_total{table=\"memquota_windows\"}"));
  EXPECT_THAT(metrics->body, HasSubstr("mixer_checks_total{code=\"RESOURCE_EXHAUSTED\"} 6"));
  EXPECT_THAT(metrics->body, HasSubstr("mixer_reports_refused_total{code=\"RESOURCE_EXHAUSTED\"} 1"));
  // Bounds: 2 requests x 4 MiB decoding, 16 MiB of windows, 8 MiB of
  // answers, and the allocator's slack.
  EXPECT_LT(after - baseline, 80) << "Mixer grew from " << baseline << " MB to " << after << " MB";
  // And it still answers as before.
  ASSERT_TRUE(Check(FromReviews("v3"), &response).ok());
  EXPECT_EQ(response.precondition().status().code(), 7);
}

// A rule that does not type-check against the manifest is refused by
// Galley (file and line); config that only Mixer can judge (an adapter's
// params) is refused by Mixer. Either way the policy before keeps answering.
TEST_P(MixerScenarioTest, ConfigThatDoesNotCompileKeepsThePreviousPolicy) {
  std::ofstream(config_ + "/bad-rule.yaml")
      << "apiVersion: config.istio.io/v1alpha2\nkind: rule\nmetadata: {name: broken}\n"
         "spec:\n  match: source.labels == \"v3\"\n  actions:\n"
         "  - {handler: denyreviewsv3handler, instances: [denyreviewsv3request]}\n";
  RunningService& galley = *mesh().services()[0];
  ASSERT_TRUE(WaitForLog(galley.process(), "bad-rule.yaml:1:1: rule default/broken: spec.match",
                         absl::Seconds(20)))
      << galley.process().Log();
  EXPECT_THAT(galley.process().Log(), HasSubstr("\"==\" between STRING_MAP and STRING"));

  std::ofstream(config_ + "/bad-handler.yaml")
      << "apiVersion: config.istio.io/v1alpha2\nkind: handler\nmetadata: {name: bad}\n"
         "spec:\n  compiledAdapter: listchecker\n  params: {entryType: REGEX, overrides: ['a(']}\n";
  ASSERT_TRUE(WaitForLog(mixer_->process(), "Mixer config refused", absl::Seconds(20)))
      << mixer_->process().Log();
  EXPECT_THAT(mixer_->process().Log(), HasSubstr("bad regex"));
  istio::mixer::v1::CheckResponse response;
  ASSERT_TRUE(Check(FromReviews("v3"), &response).ok());
  EXPECT_EQ(response.precondition().status().code(), 7);
  ASSERT_TRUE(Check(FromReviews("v2"), &response).ok());
  EXPECT_EQ(response.precondition().status().code(), 0);
}

// Istio 1.4's bookinfo policy samples side by side: deny by label (the
// fixture's), by service account, by header (ratings-denial), and the IP
// and version whitelists as Istio's mixer-rule-deny-ip.yaml and
// mixer-rule-deny-whitelist.yaml write them. Each denies what it says and
// nothing else.
TEST_P(MixerScenarioTest, IstiosBookinfoPolicySamplesDenyWhatTheySay) {
  for (const char* file : {"mixer-rule-deny-serviceaccount.yaml", "mixer-rule-ratings-denial.yaml"}) {
    std::filesystem::copy_file(mesh::testing::IstioTestdataDir() + "/mixer-policy-1.4/" + file,
                               config_ + "/" + file);
  }
  std::ofstream(config_ + "/whitelists.yaml") << R"(apiVersion: config.istio.io/v1alpha2
kind: handler
metadata:
  name: whitelistip
spec:
  compiledAdapter: listchecker
  params:
    overrides: ["10.57.0.0/16"]
    blacklist: false
    entryType: IP_ADDRESSES
---
apiVersion: config.istio.io/v1alpha2
kind: instance
metadata:
  name: sourceip
spec:
  compiledTemplate: listentry
  params:
    value: source.ip | ip("0.0.0.0")
---
apiVersion: config.istio.io/v1alpha2
kind: rule
metadata:
  name: checkip
spec:
  match: source.labels["istio"] == "ingressgateway"
  actions:
  - handler: whitelistip
    instances: [ sourceip ]
---
apiVersion: config.istio.io/v1alpha2
kind: handler
metadata:
  name: whitelist
spec:
  compiledAdapter: listchecker
  params:
    overrides: ["v1", "v2"]
    blacklist: false
---
apiVersion: config.istio.io/v1alpha2
kind: instance
metadata:
  name: appversion
spec:
  compiledTemplate: listentry
  params:
    value: source.labels["version"]
---
apiVersion: config.istio.io/v1alpha2
kind: rule
metadata:
  name: checkversion
spec:
  match: destination.labels["app"] == "ratings"
  actions:
  - handler: whitelist
    instances: [ appversion ]
)";
  ASSERT_TRUE(WaitForLog(mixer_->process(), "Mixer config: 5 rules", absl::Seconds(20)))
      << mixer_->process().Log();
  auto check = [&](mixer::AttributeBag bag) {
    bag.emplace("destination.namespace", std::string("default"));
    istio::mixer::v1::CheckResponse response;
    EXPECT_TRUE(Check(Encoded(bag), &response).ok());
    return response.precondition().status().code() == 0
               ? std::string("OK")
               : response.precondition().status().message();
  };
  auto labels = [](const std::string& app, const std::string& version = "v1") {
    return mixer::StringMap{{"app", app}, {"version", version}};
  };
  // By service account: productpage may not call details.
  EXPECT_EQ(check({{"destination.labels", labels("details")},
                   {"source.user", std::string("cluster.local/ns/default/sa/bookinfo-productpage")}}),
            "Not allowed");
  EXPECT_EQ(check({{"destination.labels", labels("details")},
                   {"source.user", std::string("cluster.local/ns/default/sa/bookinfo-reviews")}}),
            "OK");
  // By header: john is refused.
  EXPECT_EQ(check({{"destination.labels", labels("reviews")},
                   {"request.headers", mixer::StringMap{{"x-user", "john"}}}}),
            "Not allowed");
  EXPECT_EQ(check({{"destination.labels", labels("reviews")},
                   {"request.headers", mixer::StringMap{{"x-user", "jane"}}}}),
            "OK");
  // IP whitelist, for requests through the ingress gateway.
  auto from = [&](const std::string& ip) {
    in_addr address;
    inet_pton(AF_INET, ip.c_str(), &address);
    return check({{"destination.labels", labels("productpage")},
                  {"source.labels", mixer::StringMap{{"istio", "ingressgateway"}}},
                  {"source.ip", mixer::Bytes{std::string(reinterpret_cast<char*>(&address), 4)}}});
  };
  EXPECT_EQ(from("10.57.3.4"), "OK");
  EXPECT_EQ(from("10.1.2.3"), "10.1.2.3 is not whitelisted");
  // Version whitelist for ratings' callers.
  EXPECT_EQ(check({{"destination.labels", labels("ratings")},
                   {"source.labels", labels("reviews", "v2")}}),
            "OK");
  EXPECT_EQ(check({{"destination.labels", labels("ratings")},
                   {"source.labels", labels("reviews", "v9")}}),
            "v9 is not whitelisted");
}

// Istio 1.4's bookinfo rate limit (memquota, unchanged): productpage may be
// called twice per 5 seconds; a repeated deduplication id is not charged.
TEST_F(MixerTest, IstiosRateLimitSampleGrantsTwoThenNone) {
  std::filesystem::copy_file(
      mesh::testing::IstioTestdataDir() + "/mixer-policy-1.4/mixer-rule-productpage-ratelimit.yaml",
      config_ + "/ratelimit.yaml");
  ASSERT_TRUE(WaitForLog(mixer_->process(), "Mixer config: 2 rules", absl::Seconds(20)))
      << mixer_->process().Log();
  auto ask = [&](const std::string& app, const std::string& dedup) {
    return RequestCountGranted(app, dedup);
  };
  EXPECT_EQ(ask("productpage", "a"), 1);
  EXPECT_EQ(ask("productpage", "a"), 1);  // the same request, retried
  EXPECT_EQ(ask("productpage", "b"), 1);
  EXPECT_EQ(ask("productpage", "c"), 0);  // the third within 5 s
  EXPECT_EQ(ask("details", "d"), 1);      // 500 per second for the rest
}

// The same sample's QuotaSpec and QuotaSpecBinding: a request to
// productpage is charged requestcountquota without asking for it (two per
// 5 s); other services are not; a charged answer is not cacheable.
TEST_F(MixerTest, IstiosQuotaSpecBindingChargesProductpageWithoutAsking) {
  std::filesystem::copy_file(
      mesh::testing::IstioTestdataDir() + "/mixer-policy-1.4/mixer-rule-productpage-ratelimit.yaml",
      config_ + "/ratelimit.yaml");
  ASSERT_TRUE(WaitForLog(mixer_->process(), "Mixer config: 2 rules", absl::Seconds(20)))
      << mixer_->process().Log();
  auto check = [&](const std::string& service) {
    mixer::AttributeBag bag = {
        {"destination.namespace", std::string("default")},
        {"destination.service.host", service + ".default.svc.cluster.local"},
        {"destination.labels", mixer::StringMap{{"app", service}}}};
    istio::mixer::v1::CheckResponse response;
    EXPECT_TRUE(Check(Encoded(bag), &response).ok());
    return response.precondition();
  };
  EXPECT_EQ(check("productpage").status().code(), 0);
  EXPECT_EQ(check("productpage").valid_use_count(), 1);
  const auto exhausted = check("productpage");
  EXPECT_EQ(exhausted.status().code(), 8);  // RESOURCE_EXHAUSTED
  EXPECT_EQ(exhausted.status().message(), "Quota is exhausted for: requestcountquota");
  for (int i = 0; i < 5; ++i) {
    const auto details = check("details");
    EXPECT_EQ(details.status().code(), 0);
    EXPECT_GT(details.valid_use_count(), 1);
  }
}

// Istio's redisquota (the shape of Istio 1.4's rate-limit task) on a real
// Redis: two Mixer replicas draw on one limit; with Redis gone the quota
// fails closed and Mixer keeps answering.
TEST_F(MixerTest, RedisQuotaIsSharedByTwoReplicasAndFailsClosedWithoutRedis) {
  const std::string dir = TestTempDir("redis");
  const uint16_t redis_port = PickFreePort();
  absl::StatusOr<ChildProcess> redis = ChildProcess::Start(
      "/usr/bin/redis-server",
      {"--port", absl::StrCat(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
       "no", "--dir", dir},
      dir + "/redis.log");
  ASSERT_TRUE(redis.ok()) << redis.status();
  ASSERT_TRUE(WaitForLog(*redis, "Ready to accept connections", absl::Seconds(20))) << redis->Log();
  std::ofstream(config_ + "/redisquota.yaml") << absl::StrCat(R"(apiVersion: config.istio.io/v1alpha2
kind: handler
metadata: {name: quotahandler, namespace: istio-system}
spec:
  compiledAdapter: redisquota
  params:
    redisServerUrl: 127.0.0.1:)", redis_port, R"(
    connectionPoolSize: 4
    quotas:
    - name: requestcountquota.instance.istio-system
      maxAmount: 500
      validDuration: 60s
      bucketDuration: 500ms
      rateLimitAlgorithm: ROLLING_WINDOW
      overrides:
      - dimensions: {destination: productpage}
        maxAmount: 4
---
apiVersion: config.istio.io/v1alpha2
kind: instance
metadata: {name: requestcountquota, namespace: istio-system}
spec:
  compiledTemplate: quota
  params:
    dimensions:
      destination: destination.labels["app"] | "unknown"
---
apiVersion: config.istio.io/v1alpha2
kind: rule
metadata: {name: quota, namespace: istio-system}
spec:
  actions: [{handler: quotahandler, instances: [requestcountquota]}]
)");
  ASSERT_TRUE(WaitForLog(mixer_->process(), "Mixer config: 2 rules", absl::Seconds(20)))
      << mixer_->process().Log();
  absl::StatusOr<RunningService*> replica =
      mesh().Start("mixer", {"--galley_address=" + mesh().services()[0]->grpc_address(),
                             "--global_dictionary=" + dictionary_path_});
  ASSERT_TRUE(replica.ok());
  ASSERT_TRUE((*replica)->WaitReady().ok());
  ASSERT_TRUE(WaitForLog((*replica)->process(), "Mixer config: 2 rules", absl::Seconds(20)));
  auto second = istio::mixer::v1::Mixer::NewStub(
      grpc::CreateChannel((*replica)->grpc_address(), grpc::InsecureChannelCredentials()));

  auto ask = [&](istio::mixer::v1::Mixer::Stub& mixer, const std::string& app,
                 const std::string& dedup) { return RequestCountGranted(app, dedup, &mixer); };
  int64_t granted = 0;
  for (int i = 0; i < 10; ++i) {
    granted += ask(i % 2 == 0 ? *stub_ : *second, "productpage", absl::StrCat("call-", i));
  }
  EXPECT_EQ(granted, 4) << "the sum across both replicas holds the limit";
  // A retried request (same deduplication id) is answered as before, on either replica.
  EXPECT_EQ(ask(*second, "productpage", "call-0"), 1);
  EXPECT_EQ(ask(*stub_, "details", "d-1"), 1);  // the default: 500 per minute

  redis->Terminate();
  EXPECT_EQ(ask(*stub_, "details", "d-2"), 0);  // fails closed
  EXPECT_EQ(ask(*second, "details", "d-3"), 0);
  istio::mixer::v1::CheckResponse response;
  ASSERT_TRUE(Check(FromReviews("v2"), &response).ok());  // Mixer carries on
  EXPECT_EQ(response.precondition().status().code(), 0);
  second.reset();
}

// Istio 1.4's telemetry sample (a metric instance, a prometheus handler, a
// rule) turns Reports into istio_double_request_count, which a real
// Prometheus server scrapes from Mixer's metrics port.
TEST_F(MixerTest, ReportsBecomeMetricsThatPrometheusScrapes) {
  std::filesystem::copy_file(
      mesh::testing::IstioTestdataDir() + "/mixer-policy-1.4/telemetry-metrics.yaml",
      config_ + "/telemetry-metrics.yaml");
  ASSERT_TRUE(WaitForLog(mixer_->process(), "Mixer config: 2 rules", absl::Seconds(20)))
      << mixer_->process().Log();
  constexpr int kRequests = 5;
  istio::mixer::v1::ReportRequest report;
  report.set_global_word_count(static_cast<uint32_t>(dictionary_.size()));
  report.set_repeated_attributes_semantics(istio::mixer::v1::ReportRequest::INDEPENDENT_ENCODING);
  for (int i = 0; i < kRequests; ++i) {
    mixer::AttributeBag bag = {{"context.reporter.kind", std::string("inbound")},
                               {"source.workload.name", std::string("reviews-v3")},
                               {"destination.workload.name", std::string("ratings-v1")},
                               {"destination.namespace", std::string("default")}};
    *report.add_attributes() = mixer::Encode(bag, dictionary_);
  }
  grpc::ClientContext context;
  istio::mixer::v1::ReportResponse response;
  ASSERT_TRUE(stub_->Report(&context, report, &response).ok());

  // Each request counted twice, as the sample's instance says.
  const uint16_t prometheus = StartPrometheus();
  EXPECT_TRUE(PrometheusSays(prometheus,
                             "istio_double_request_count{reporter=\"server\",source=\"reviews-v3\","
                             "destination=\"ratings-v1\",message=\"twice the fun!\"}",
                             absl::StrCat(2 * kRequests)));
}

// The echo apps through libs/mixerclient: the server checks each call and
// reports it, the client reports its side.
class MixerClientTest : public MixerTest {
 protected:
  static constexpr char kHost[] = "echo.default.svc.cluster.local";

  void SetUp() override {
    MixerTest::SetUp();
    std::filesystem::copy_file(RunfilePath("samples/mixer/telemetry.yaml"),
                               config_ + "/telemetry.yaml");
    WriteDenier("mallory", R"(request.headers["x-user"] == "mallory")");
    ASSERT_TRUE(WaitForLog(mixer_->process(), "Mixer config: 3 rules", absl::Seconds(20)))
        << mixer_->process().Log();
  }

  // A denier rule (with its handler and instance) named `name`.
  void WriteDenier(const std::string& name, const std::string& match) {
    std::ofstream(config_ + "/deny-" + name + ".yaml")
        << "apiVersion: config.istio.io/v1alpha2\nkind: handler\nmetadata: {name: " << name
        << ", namespace: istio-system}\nspec: {compiledAdapter: denier, params: {status: {code: 7, "
           "message: not for you}}}\n---\napiVersion: config.istio.io/v1alpha2\nkind: instance\n"
           "metadata: {name: "
        << name << ", namespace: istio-system}\nspec: {compiledTemplate: checknothing}\n---\n"
        << "apiVersion: config.istio.io/v1alpha2\nkind: rule\nmetadata: {name: " << name
        << ", namespace: istio-system}\nspec:\n  match: '" << match << "'\n  actions: [{handler: "
        << name << ", instances: [" << name << "]}]\n";
  }

  std::vector<std::string> MixerFlags(const std::string& workload) const {
    return {"--mixer_address=" + mixer_->grpc_address(),
            "--mixer_global_dictionary=" + dictionary_path_, "--workload_name=" + workload,
            std::string("--service_host=") + kHost};
  }

  // Starts echo_server (plain gRPC, Mixer-checked); returns its port.
  int StartEcho(const std::string& name, std::vector<std::string> extra = {}) {
    const std::string log = absl::StrCat(TestTempDir("echo"), "/", name);
    std::vector<std::string> args = {"--address=127.0.0.1:0", "--ports_file=" + log + ".ports",
                                     "--workload_labels=app=echo,version=v1"};
    for (std::string& flag : MixerFlags(name)) args.push_back(std::move(flag));
    for (std::string& flag : extra) args.push_back(std::move(flag));
    absl::StatusOr<ChildProcess> server =
        ChildProcess::Start(RunfilePath("integration/apps/echo_server"), args, log + ".log");
    EXPECT_TRUE(server.ok());
    if (!server.ok()) return 0;
    absl::StatusOr<PortsFile> ports = WaitForPortsFile(log + ".ports", *server);
    EXPECT_TRUE(ports.ok()) << ports.status();
    echo_servers_.push_back(*std::move(server));
    return ports.ok() ? ports->grpc_port : 0;
  }

  // Runs echo_client (Mixer-reporting) for `count` calls; its summary line.
  std::string Call(int port, int count, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {absl::StrCat("--target=127.0.0.1:", port), "--plaintext",
                                     absl::StrCat("--count=", count), "--rpc_timeout=5s"};
    for (std::string& flag : MixerFlags("echo-client")) args.push_back(std::move(flag));
    for (std::string& flag : extra) args.push_back(std::move(flag));
    absl::StatusOr<CommandResult> result =
        RunToCompletion(RunfilePath("integration/apps/echo_client"), args, absl::Seconds(60));
    EXPECT_TRUE(result.ok());
    if (!result.ok()) return "";
    const size_t at = result->out.rfind("summary ");
    EXPECT_NE(at, std::string::npos) << result->err;
    return at == std::string::npos ? "" : result->out.substr(at);
  }

  // Mixer's count of Check RPCs answered with `code`.
  int64_t ChecksAnswered(const std::string& code) {
    absl::StatusOr<HttpResponse> metrics = HttpGet(mixer_->monitoring_address(), "/metrics");
    EXPECT_TRUE(metrics.ok());
    if (!metrics.ok()) return -1;
    const std::string prefix = "mixer_checks_total{code=\"" + code + "\"} ";
    const size_t at = metrics->body.find(prefix);
    if (at == std::string::npos) return 0;
    int64_t n = -1;
    EXPECT_TRUE(absl::SimpleAtoi(
        metrics->body.substr(at + prefix.size(), metrics->body.find('\n', at) - at - prefix.size()),
        &n));
    return n;
  }

  std::vector<ChildProcess> echo_servers_;
};

// After N calls Prometheus has istio_requests_total = N from each reporter;
// denied calls are counted as 403s; a denier for one header value refuses
// only it; the check cache answers repeated identical calls (one Check RPC
// for many calls); a config change reaches a cached answer.
TEST_F(MixerClientTest, CallsAreCheckedCachedAndCountedInPrometheus) {
  const int port = StartEcho("echo-v1");
  ASSERT_NE(port, 0);
  constexpr int kAllowed = 20, kDenied = 5;
  EXPECT_THAT(Call(port, kAllowed), HasSubstr(absl::StrCat("total=", kAllowed, " v1=", kAllowed)));
  EXPECT_THAT(Call(port, kDenied, {"--metadata=x-user=mallory"}),
              HasSubstr(absl::StrCat("PERMISSION_DENIED=", kDenied)));
  // One Check RPC per distinct answer: the rest came from the cache.
  EXPECT_EQ(ChecksAnswered("OK"), 1);
  EXPECT_EQ(ChecksAnswered("PERMISSION_DENIED"), 1);

  const uint16_t prometheus = StartPrometheus();
  const std::string series = std::string("istio_requests_total{destination_service=\"") + kHost +
                             "\",destination_workload=\"echo-v1\",destination_app=\"echo\",";
  EXPECT_TRUE(PrometheusSays(prometheus,
                             series + "reporter=\"destination\",response_code=\"200\"}",
                             absl::StrCat(kAllowed)));
  EXPECT_TRUE(PrometheusSays(prometheus,
                             series + "reporter=\"destination\",response_code=\"403\"}",
                             absl::StrCat(kDenied)));
  EXPECT_TRUE(PrometheusSays(
      prometheus,
      std::string("istio_requests_total{destination_service=\"") + kHost +
          "\",source_workload=\"echo-client\",reporter=\"source\",response_code=\"200\"}",
      absl::StrCat(kAllowed)));

  // Now anonymous callers are refused too. The first call that misses the
  // cache brings the new config's version, which drops every cached answer.
  WriteDenier("anonymous", R"((request.headers["x-user"] | "") == "")");
  ASSERT_TRUE(WaitForLog(mixer_->process(), "Mixer config: 4 rules", absl::Seconds(20)))
      << mixer_->process().Log();
  EXPECT_THAT(Call(port, 1, {"--metadata=x-user=bob"}), HasSubstr("v1=1"));
  EXPECT_THAT(Call(port, 3), HasSubstr("PERMISSION_DENIED=3"));
}

// A memquota of 10 per second bound to the echo service (QuotaSpec +
// QuotaSpecBinding): a burst of calls through the echo apps gets 10 per
// second of its duration, the rest RESOURCE_EXHAUSTED.
TEST_F(MixerClientTest, MemquotaOfTenPerSecondHoldsThroughTheApps) {
  std::ofstream(config_ + "/echo-quota.yaml") << R"(apiVersion: config.istio.io/v1alpha2
kind: handler
metadata: {name: echoquota, namespace: istio-system}
spec:
  compiledAdapter: memquota
  params:
    quotas:
    - name: echocount.instance.istio-system
      maxAmount: 10
      validDuration: 1s
---
apiVersion: config.istio.io/v1alpha2
kind: instance
metadata: {name: echocount, namespace: istio-system}
spec:
  compiledTemplate: quota
  params:
    dimensions:
      destination: destination.service.host | "unknown"
---
apiVersion: config.istio.io/v1alpha2
kind: rule
metadata: {name: echoquota, namespace: istio-system}
spec:
  actions: [{handler: echoquota, instances: [echocount]}]
---
apiVersion: config.istio.io/v1alpha2
kind: QuotaSpec
metadata: {name: echo-count, namespace: istio-system}
spec:
  rules:
  - quotas: [{quota: echocount, charge: 1}]
---
apiVersion: config.istio.io/v1alpha2
kind: QuotaSpecBinding
metadata: {name: echo-count, namespace: istio-system}
spec:
  services: [{name: echo, namespace: default}]
  quotaSpecs: [{name: echo-count}]
)";
  ASSERT_TRUE(WaitForLog(mixer_->process(), "Mixer config: 4 rules", absl::Seconds(20)))
      << mixer_->process().Log();
  const int port = StartEcho("echo-v1");
  ASSERT_NE(port, 0);
  constexpr int kCalls = 60;
  const std::string summary = Call(port, kCalls);
  auto count = [&](const std::string& key) {
    const size_t at = summary.find(" " + key + "=");
    int64_t n = 0;
    if (at != std::string::npos) {
      const size_t start = at + key.size() + 2;
      EXPECT_TRUE(absl::SimpleAtoi(
          absl::StripSuffix(summary.substr(start, summary.find(' ', start) - start), "ms"), &n));
    }
    return n;
  };
  const int64_t ok = count("v1"), exhausted = count("RESOURCE_EXHAUSTED");
  const int64_t elapsed_ms = count("t");
  EXPECT_EQ(ok + exhausted, kCalls) << summary;
  EXPECT_GE(ok, 10) << summary;
  // At most 10 in any second: 10 per started second of the run.
  EXPECT_LE(ok, 10 * (elapsed_ms / 1000 + 1)) << summary;
  EXPECT_GT(exhausted, 0) << summary;
}

// Mixer stopped mid-run: a fail-closed server refuses calls, a fail-open
// one serves them; both recover when Mixer is back on its address.
TEST_F(MixerClientTest, MixerDownFailsClosedOrOpenAndRecovers) {
  const int closed = StartEcho("fail-closed", {"--mixer_check_cache=false"});
  const int open = StartEcho("fail-open", {"--mixer_check_cache=false", "--mixer_fail_open"});
  ASSERT_TRUE(closed != 0 && open != 0);
  EXPECT_THAT(Call(closed, 3), HasSubstr("v1=3"));
  EXPECT_THAT(Call(open, 3), HasSubstr("v1=3"));
  const std::string address = mixer_->grpc_address();
  uint32_t mixer_port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &mixer_port));
  mixer_->Stop();

  EXPECT_THAT(Call(closed, 3), HasSubstr("UNAVAILABLE=3"));
  EXPECT_THAT(Call(open, 3), HasSubstr("v1=3"));

  absl::StatusOr<RunningService*> again = mesh().Start(
      "mixer",
      {"--galley_address=" + mesh().services()[0]->grpc_address(),
       "--global_dictionary=" + dictionary_path_},
      static_cast<uint16_t>(mixer_port));
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE((*again)->WaitReady().ok());
  // The server's channel to Mixer reconnects on its own backoff: call until it has.
  std::string last;
  Eventually(
      [&] {
        last = Call(closed, 1);
        return absl::StrContains(last, "v1=1");
      },
      absl::Seconds(45), absl::ZeroDuration());
  EXPECT_THAT(last, HasSubstr("v1=1"));
}

// A Mixer restarted while Galley is down has no config. Until it has, it
// answers UNAVAILABLE, so each client's fail-closed or fail-open setting
// decides and nothing it answered is cached: once Galley is back, mallory
// is refused at once, even by the fail-open app whose cache is on.
TEST_F(MixerClientTest, ARestartedMixerWithoutConfigLetsNothingThroughOnItsOwn) {
  const int closed = StartEcho("fail-closed");
  const int open = StartEcho("fail-open", {"--mixer_fail_open"});
  ASSERT_TRUE(closed != 0 && open != 0);
  EXPECT_THAT(Call(open, 2, {"--metadata=x-user=mallory"}), HasSubstr("PERMISSION_DENIED=2"));

  RunningService& galley = *mesh().services()[0];
  const std::string galley_address = galley.grpc_address();
  uint32_t galley_port = 0, mixer_port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(galley_address.substr(galley_address.rfind(':') + 1), &galley_port));
  const std::string mixer_address = mixer_->grpc_address();
  ASSERT_TRUE(absl::SimpleAtoi(mixer_address.substr(mixer_address.rfind(':') + 1), &mixer_port));
  ASSERT_EQ(galley.Stop().status, 0);
  ASSERT_EQ(mixer_->Stop().status, 0);
  absl::StatusOr<RunningService*> restarted =
      mesh().Start("mixer", {"--galley_address=" + galley_address, "--global_dictionary=" + dictionary_path_},
                   static_cast<uint16_t>(mixer_port));
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  mixer_ = *restarted;
  // Not ready, and saying why.
  absl::StatusOr<HttpResponse> ready = HttpGet(mixer_->monitoring_address(), "/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 503);

  // The apps' channels reconnect on their own backoff: call until the new
  // Mixer has answered them.
  ASSERT_TRUE(Eventually(
      [&] {
        if (ChecksAnswered("UNAVAILABLE") >= 2) return true;
        Call(closed, 1, {"--metadata=x-user=mallory"});
        Call(open, 1, {"--metadata=x-user=mallory"});
        return false;
      },
      absl::Seconds(45), absl::ZeroDuration()))
      << mixer_->process().Log();
  EXPECT_THAT(Call(closed, 5, {"--metadata=x-user=mallory"}), HasSubstr("UNAVAILABLE=5"));
  EXPECT_THAT(Call(open, 5, {"--metadata=x-user=mallory"}), HasSubstr("v1=5"));
  EXPECT_EQ(ChecksAnswered("OK"), 0);

  absl::StatusOr<RunningService*> galley_again =
      mesh().Start("galley", {"--config_dir=" + config_, "--debounce=20ms"},
                   static_cast<uint16_t>(galley_port));
  ASSERT_TRUE(galley_again.ok()) << galley_again.status();
  ASSERT_TRUE(mixer_->WaitReady(absl::Seconds(45)).ok()) << mixer_->process().Log();
  EXPECT_THAT(Call(open, 3, {"--metadata=x-user=mallory"}), HasSubstr("PERMISSION_DENIED=3"));
  EXPECT_THAT(Call(closed, 3, {"--metadata=x-user=mallory"}), HasSubstr("PERMISSION_DENIED=3"));
  EXPECT_THAT(Call(closed, 2), HasSubstr("v1=2"));
}

// What a TCP client gets back for "ping" from `source_ip` (bound before
// connecting): "ping" when served, "" when the server closed the connection.
std::string PingOverTcp(int port, const std::string& source_ip) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in source{};
  source.sin_family = AF_INET;
  inet_pton(AF_INET, source_ip.c_str(), &source.sin_addr);
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof(source)) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof(server)) != 0) {
    close(fd);
    return "connect failed";
  }
  timeval timeout{.tv_sec = 10, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  send(fd, "ping", 4, MSG_NOSIGNAL);
  shutdown(fd, SHUT_WR);
  std::string got;
  char buffer[64];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) got.append(buffer, static_cast<size_t>(n));
  close(fd);
  return got;
}

// Checks apply to TCP services too (ISTIO-SECURITY-2019-001): a denier for
// one source address closes its connections before any byte is echoed;
// others are served; both are reported.
TEST_F(MixerClientTest, TcpConnectionsAreCheckedAndReported) {
  WriteDenier("tcp-from-2", R"(context.protocol == "tcp" && source.ip == ip("127.0.0.2"))");
  ASSERT_TRUE(WaitForLog(mixer_->process(), "Mixer config: 4 rules", absl::Seconds(20)))
      << mixer_->process().Log();
  const std::string log = absl::StrCat(TestTempDir("tcp"), "/tcp-echo");
  std::vector<std::string> args = {"--ports_file=" + log + ".ports"};
  for (std::string& flag : MixerFlags("tcp-echo")) args.push_back(std::move(flag));
  absl::StatusOr<ChildProcess> server =
      ChildProcess::Start(RunfilePath("integration/apps/tcp_echo_server"), args, log + ".log");
  ASSERT_TRUE(server.ok());
  absl::StatusOr<PortsFile> ports = WaitForPortsFile(log + ".ports", *server);
  ASSERT_TRUE(ports.ok()) << ports.status();
  EXPECT_EQ(PingOverTcp(ports->grpc_port, "127.0.0.1"), "ping");
  EXPECT_EQ(PingOverTcp(ports->grpc_port, "127.0.0.2"), "");
  EXPECT_TRUE(WaitForLog(*server, "refused a connection from 127.0.0.2: not for you",
                         absl::Seconds(10)))
      << server->Log();
  // Both connections reach Mixer's Reports (the server sends them each second).
  EXPECT_TRUE(Eventually(
      [&] {
        absl::StatusOr<HttpResponse> metrics = HttpGet(mixer_->monitoring_address(), "/metrics");
        return metrics.ok() &&
               absl::StrContains(metrics->body, "mixer_report_attribute_sets_total 2");
      },
      absl::Seconds(20)));
  server->Terminate();
}

}  // namespace
}  // namespace keel::testing
