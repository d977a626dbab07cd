// End to end: Galley serves Istio 1.4's own Mixer config (the bookinfo
// deny-by-label sample and the standard attribute manifest, unchanged) to
// the real mixer binary, which a client built from Istio's Mixer API asks.
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "integration/harness/mesh.h"
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
    absl::StatusOr<RunningService*> galley =
        mesh().Start("galley", {"--config_dir=" + config_, "--debounce=20ms"});
    ASSERT_TRUE(galley.ok());
    ASSERT_TRUE((*galley)->WaitReady().ok());
    absl::StatusOr<RunningService*> mixer =
        mesh().Start("mixer", {"--galley_address=" + (*galley)->grpc_address(),
                               "--global_dictionary=" + dictionary_path_});
    ASSERT_TRUE(mixer.ok());
    mixer_ = *mixer;
    ASSERT_TRUE(mixer_->WaitReady().ok()) << mixer_->process().Log();
    stub_ = istio::mixer::v1::Mixer::NewStub(
        grpc::CreateChannel(mixer_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  // A request from reviews `version` to ratings, as a sidecar would send it.
  istio::mixer::v1::CheckRequest FromReviews(const std::string& version) {
    mixer::AttributeBag bag = {
        {"destination.namespace", std::string("default")},
        {"destination.labels", mixer::StringMap{{"app", "ratings"}, {"version", "v1"}}},
        {"source.labels", mixer::StringMap{{"app", "reviews"}, {"version", version}}},
        {"request.path", std::string("/ratings/0")},
    };
    istio::mixer::v1::CheckRequest request;
    *request.mutable_attributes() = mixer::Encode(bag, dictionary_);
    request.set_global_word_count(static_cast<uint32_t>(dictionary_.size()));
    return request;
  }

  grpc::Status Check(const istio::mixer::v1::CheckRequest& request,
                     istio::mixer::v1::CheckResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub_->Check(&context, request, response);
  }

  std::string config_;
  std::string dictionary_path_;
  mixer::GlobalDictionary dictionary_;
  RunningService* mixer_ = nullptr;
  std::unique_ptr<istio::mixer::v1::Mixer::Stub> stub_;
};

TEST_F(MixerTest, IstiosDenyByLabelSampleDeniesOnlyReviewsV3) {
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

// A rule that does not type-check against the manifest is refused; the
// policy compiled before keeps answering.
TEST_F(MixerTest, ARuleThatDoesNotTypeCheckKeepsThePreviousPolicy) {
  std::ofstream(config_ + "/bad-rule.yaml")
      << "apiVersion: config.istio.io/v1alpha2\nkind: rule\nmetadata: {name: broken}\n"
         "spec:\n  match: source.labels == \"v3\"\n  actions:\n"
         "  - {handler: denyreviewsv3handler, instances: [denyreviewsv3request]}\n";
  ASSERT_TRUE(WaitForLog(mixer_->process(), "Mixer config refused", absl::Seconds(20)))
      << mixer_->process().Log();
  EXPECT_THAT(mixer_->process().Log(), HasSubstr("\"==\" between STRING_MAP and STRING"));
  istio::mixer::v1::CheckResponse response;
  ASSERT_TRUE(Check(FromReviews("v3"), &response).ok());
  EXPECT_EQ(response.precondition().status().code(), 7);
  ASSERT_TRUE(Check(FromReviews("v2"), &response).ok());
  EXPECT_EQ(response.precondition().status().code(), 0);
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
    mixer::AttributeBag bag = {{"destination.namespace", std::string("default")},
                               {"destination.labels", mixer::StringMap{{"app", app}}}};
    istio::mixer::v1::CheckRequest request;
    *request.mutable_attributes() = mixer::Encode(bag, dictionary_);
    request.set_global_word_count(static_cast<uint32_t>(dictionary_.size()));
    request.set_deduplication_id(dedup);
    (*request.mutable_quotas())["requestcountquota"].set_amount(1);
    istio::mixer::v1::CheckResponse response;
    EXPECT_TRUE(Check(request, &response).ok());
    return response.quotas().at("requestcountquota").granted_amount();
  };
  EXPECT_EQ(ask("productpage", "a"), 1);
  EXPECT_EQ(ask("productpage", "a"), 1);  // the same request, retried
  EXPECT_EQ(ask("productpage", "b"), 1);
  EXPECT_EQ(ask("productpage", "c"), 0);  // the third within 5 s
  EXPECT_EQ(ask("details", "d"), 1);      // 500 per second for the rest
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

  // Prometheus, from Debian, scraping Mixer every second.
  const std::string dir = TestTempDir("prometheus");
  const uint16_t port = PickFreePort();
  std::ofstream(dir + "/prometheus.yml")
      << "global: {scrape_interval: 1s}\nscrape_configs:\n- job_name: mixer\n"
         "  static_configs: [{targets: ['"
      << mixer_->monitoring_address() << "']}]\n";
  absl::StatusOr<ChildProcess> prometheus = ChildProcess::Start(
      "/usr/bin/prometheus",
      {"--config.file=" + dir + "/prometheus.yml", "--storage.tsdb.path=" + dir + "/data",
       absl::StrCat("--web.listen-address=127.0.0.1:", port)},
      dir + "/prometheus.log");
  ASSERT_TRUE(prometheus.ok()) << prometheus.status();
  const std::string query =
      "/api/v1/query?query=istio_double_request_count%7Breporter%3D%22server%22%2Csource%3D%22"
      "reviews-v3%22%2Cdestination%3D%22ratings-v1%22%2Cmessage%3D%22twice%20the%20fun!%22%7D";
  std::string last;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  bool found = false;
  while (!found && absl::Now() < deadline) {
    absl::StatusOr<HttpResponse> answer =
        HttpGet(absl::StrCat("127.0.0.1:", port), query, absl::Seconds(2));
    if (answer.ok()) {
      last = answer->body;
      // Each request counted twice, as the sample's instance says.
      found = absl::StrContains(last, absl::StrCat("\"", 2 * kRequests, "\"]"));
    }
    if (!found) absl::SleepFor(absl::Milliseconds(200));
  }
  prometheus->Terminate();
  EXPECT_TRUE(found) << "last answer: " << last << "\n" << prometheus->Log();
}

}  // namespace
}  // namespace keel::testing
