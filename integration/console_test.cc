// The web console, driven by Debian's headless Chromium over the DevTools
// protocol against a real Galley and Pilot: every page loads without a
// JavaScript error, the traffic graph shows a VirtualService's weights and
// follows a change of the file within 2 s without a reload, the proxies
// table filters by namespace, and each page's screenshot is a test output.
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "integration/harness/browser.h"
#include "integration/harness/etcd_cluster.h"
#include "integration/harness/eventually.h"
#include "integration/harness/mesh.h"
#include "integration/harness/prometheus.h"
#include "libs/common/http_client.h"
#include "libs/mixer/attributes.h"
#include "libs/xds/ads_client.h"
#include "libs/xds/type_urls.h"
#include "proto/istio/mixer/v1/mixer.grpc.pb.h"

namespace keel::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kReviews[] = "reviews.default.svc.cluster.local";

std::string Registry() {
  std::string out = absl::StrCat(R"(apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: reviews}
spec:
  hosts: [)",
                                 kReviews, R"(]
  location: MESH_INTERNAL
  ports: [{number: 9080, name: grpc, protocol: GRPC}]
  resolution: STATIC
  workloadSelector: {labels: {app: reviews}}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: )",
                                 kReviews, R"(
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
)");
  for (int v = 1; v <= 2; ++v) {
    absl::StrAppend(&out, "---\napiVersion: networking.istio.io/v1alpha3\nkind: WorkloadEntry\n",
                    "metadata: {name: reviews-v", v, "}\nspec: {address: 10.0.0.", v,
                    ", labels: {app: reviews, version: v", v, "}}\n");
  }
  return out;
}

std::string Split(int v1, int v2) {
  return absl::StrCat("apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\n",
                      "metadata: {name: reviews}\nspec:\n  hosts: [", kReviews, "]\n  http:\n",
                      "  - route:\n    - destination: {host: ", kReviews, ", subset: v1}\n",
                      "      weight: ", v1, "\n    - destination: {host: ", kReviews,
                      ", subset: v2}\n      weight: ", v2, "\n");
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path + ".tmp") << content;
  std::filesystem::rename(path + ".tmp", path);
}

// A connected proxy (an ADS client) in `ns`, subscribed to reviews' routes.
std::unique_ptr<xds::AdsClient> ProxyIn(const RunningService& pilot, const std::string& ns) {
  xds::AdsClientOptions options;
  options.server_address = pilot.grpc_address();
  options.node.set_id(absl::StrCat("app~10.1.0.1~app.", ns));
  options.delta = false;
  options.sotw_resource_name = [](const google::protobuf::Any&) { return std::string("one"); };
  auto client = std::make_unique<xds::AdsClient>(options, nullptr);
  client->Subscribe(xds::kListenerType, {absl::StrCat(kReviews, ":9080")});
  client->Subscribe(xds::kRouteType, {absl::StrCat(kReviews, ":9080")});
  client->Start();
  return client;
}

class ConsoleTest : public MeshTest {
 protected:
  struct SplitPair {
    RunningService* galley = nullptr;
    RunningService* pilot = nullptr;
  };
  // Galley reading `dir`, then a Pilot on it, both ready.
  absl::StatusOr<SplitPair> StartGalleyAndPilot(const std::string& dir,
                                                std::vector<std::string> galley_args = {},
                                                std::vector<std::string> pilot_args = {}) {
    galley_args.insert(galley_args.begin(), "--config_dir=" + dir);
    absl::StatusOr<RunningService*> galley = mesh().Start("galley", galley_args);
    if (!galley.ok()) return galley.status();
    if (absl::Status ready = (*galley)->WaitReady(); !ready.ok()) return ready;
    pilot_args.insert(pilot_args.begin(), "--galley_address=" + (*galley)->grpc_address());
    absl::StatusOr<RunningService*> pilot = mesh().Start("pilot", pilot_args);
    if (!pilot.ok()) return pilot.status();
    if (absl::Status ready = (*pilot)->WaitReady(); !ready.ok()) return ready;
    return SplitPair{*galley, *pilot};
  }
};

TEST_F(ConsoleTest, EveryPageLoadsTheGraphFollowsChangesAndProxiesFilter) {
  const std::string dir = TestTempDir("console-config");
  WriteFile(dir + "/registry.yaml", Registry());
  WriteFile(dir + "/routes.yaml", Split(80, 20));
  absl::StatusOr<SplitPair> started =
      StartGalleyAndPilot(dir, {"--debounce=20ms"}, {"--debounce_after=30ms"});
  ASSERT_TRUE(started.ok()) << started.status();
  RunningService* pilot = started->pilot;
  auto in_default = ProxyIn(*pilot, "default");
  auto in_shop = ProxyIn(*pilot, "shop");

  absl::StatusOr<std::unique_ptr<HeadlessBrowser>> browser = HeadlessBrowser::Launch();
  ASSERT_TRUE(browser.ok()) << browser.status();
  const std::string console = absl::StrCat("http://", pilot->monitoring_address(), "/console");

  // Every page renders (its first refresh done) and is photographed.
  for (const char* page : {"overview", "config", "proxies", "traffic", "pushes", "certificates"}) {
    SCOPED_TRACE(page);
    ASSERT_TRUE((*browser)->Navigate(absl::StrCat(console, "#", page)).ok());
    EXPECT_TRUE((*browser)->WaitFor(
        absl::StrCat("Number(document.body.dataset.refreshes || 0) >= 2 && "
                     "document.querySelector('nav a.active').dataset.page === '",
                     page, "'"),
        absl::Seconds(10)));
    EXPECT_TRUE(
        (*browser)->Screenshot(TestOutputPath(absl::StrCat("console-", page, ".png"))).ok());
  }
  absl::StatusOr<std::string> overview =
      (*browser)->Evaluate("fetch('/console').then(r => r.status)");
  EXPECT_EQ(*overview, "200");

  // The traffic graph: the split's weights on its edges; a file change
  // reaches the open page within 2 s, without a reload.
  ASSERT_TRUE((*browser)->Navigate(console + "#traffic").ok());
  const std::string weights =
      "[...document.querySelectorAll('#graph text.weight')].map(t => t.textContent).join(',')";
  ASSERT_TRUE((*browser)->WaitFor(weights + " === '80%,20%'", absl::Seconds(10)))
      << *(*browser)->Evaluate(weights);
  ASSERT_TRUE((*browser)->Evaluate("window.keelTestMarker = 42").ok());
  WriteFile(dir + "/routes.yaml", Split(50, 50));
  const absl::Time changed = absl::Now();
  EXPECT_TRUE((*browser)->WaitFor(weights + " === '50%,50%'", absl::Seconds(2)))
      << *(*browser)->Evaluate(weights);
  std::printf("console: a weight change in the file reached the open traffic page in %.0f ms\n",
              absl::ToDoubleMilliseconds(absl::Now() - changed));
  EXPECT_EQ(*(*browser)->Evaluate("String(window.keelTestMarker)"), "42");  // no reload
  // A service clicked: where its requests go.
  ASSERT_TRUE(
      (*browser)
          ->Evaluate(absl::StrCat("document.querySelector('g.service[data-host=\"", kReviews,
                                  "\"]').dispatchEvent(new MouseEvent('click', {bubbles: true}))"))
          .ok());
  EXPECT_TRUE((*browser)->WaitFor(
      "document.getElementById('describe') && "
      "document.getElementById('describe').textContent.includes('VirtualService: default/reviews')",
      absl::Seconds(5)));
  EXPECT_TRUE((*browser)->Screenshot(TestOutputPath("console-traffic-described.png")).ok());

  // The proxies table, then only namespace shop's.
  ASSERT_TRUE((*browser)->Navigate(console + "#proxies").ok());
  const std::string rows = "document.querySelectorAll('#proxy-table tr.proxy-row').length";
  ASSERT_TRUE((*browser)->WaitFor(rows + " === 2", absl::Seconds(10)))
      << *(*browser)->Evaluate(rows);
  ASSERT_TRUE(
      (*browser)
          ->Evaluate("(() => { const s = document.getElementById('ns-filter'); s.value = 'shop'; "
                     "s.dispatchEvent(new Event('change', {bubbles: true})); })()")
          .ok());
  ASSERT_TRUE((*browser)->WaitFor(rows + " === 1", absl::Seconds(5)));
  EXPECT_THAT(
      *(*browser)->Evaluate("document.querySelector('#proxy-table tr.proxy-row').dataset.proxy"),
      "app~10.1.0.1~app.shop");
  EXPECT_TRUE((*browser)->Screenshot(TestOutputPath("console-proxies-shop.png")).ok());

  EXPECT_THAT((*browser)->JavaScriptErrors(), IsEmpty());
  in_default->Stop();
  in_shop->Stop();
}

// In the one-process keel, Mixer's standard metrics share Pilot's /metrics:
// the traffic graph's edges then carry each subset's live request rate and
// error share (from Reports, as a sidecar's mixerclient sends them).
TEST_F(ConsoleTest, TrafficEdgesCarryLiveRatesFromMixerTelemetry) {
  const std::string dir = TestTempDir("console-telemetry");
  WriteFile(dir + "/registry.yaml", Registry());
  WriteFile(dir + "/routes.yaml", Split(80, 20));
  for (const char* sample : {"attributes.yaml", "telemetry.yaml"}) {
    std::filesystem::copy_file(RunfilePath(std::string("samples/mixer/") + sample),
                               dir + "/" + sample);
  }
  absl::StatusOr<RunningService*> keel =
      mesh().Start("keel", {"--config_dir=" + dir, "--debounce=20ms", "--ca_address="});
  ASSERT_TRUE(keel.ok()) << keel.status();
  ASSERT_TRUE((*keel)->WaitReady().ok()) << (*keel)->process().Log();
  ASSERT_TRUE(WaitForLog((*keel)->process(), "Mixer config: 1 rules", absl::Seconds(20)))
      << (*keel)->process().Log();
  auto mixer = istio::mixer::v1::Mixer::NewStub(
      grpc::CreateChannel((*keel)->grpc_address_of("mixer"), grpc::InsecureChannelCredentials()));
  // Four requests to v1 that succeed and one to v2 that fails, per batch.
  auto report = [&]() {
    istio::mixer::v1::ReportRequest request;
    request.set_repeated_attributes_semantics(
        istio::mixer::v1::ReportRequest::INDEPENDENT_ENCODING);
    const mixer::GlobalDictionary no_words;
    for (int i = 0; i < 5; ++i) {
      const bool v2 = i == 4;
      mixer::AttributeBag bag = {
          {"context.reporter.kind", std::string("inbound")},
          {"context.protocol", std::string("grpc")},
          {"destination.service.host", std::string(kReviews)},
          {"response.duration", absl::Milliseconds(3)},
          {"request.size", int64_t{12}},
          {"response.size", int64_t{20}},
          {"destination.labels",
           mixer::StringMap{{"app", "reviews"}, {"version", v2 ? "v2" : "v1"}}},
          {"response.code", int64_t{v2 ? 503 : 200}}};
      *request.add_attributes() = mixer::Encode(bag, no_words);
    }
    grpc::ClientContext context;
    istio::mixer::v1::ReportResponse response;
    return mixer->Report(&context, request, &response);
  };
  ASSERT_TRUE(report().ok());

  absl::StatusOr<std::unique_ptr<HeadlessBrowser>> browser = HeadlessBrowser::Launch();
  ASSERT_TRUE(browser.ok()) << browser.status();
  ASSERT_TRUE(
      (*browser)
          ->Navigate(absl::StrCat("http://", (*keel)->monitoring_address(), "/console#traffic"))
          .ok());
  const std::string rates =
      "[...document.querySelectorAll('#graph text.rate')].map(t => t.dataset.subset + ' ' + "
      "t.textContent).join(',')";
  std::string seen;
  // Reports keep flowing while the page catches up.
  auto rates_shown = [&] {
    if (!report().ok()) return false;
    seen = *(*browser)->Evaluate(rates);
    return absl::StrContains(seen, "v1 ") && absl::StrContains(seen, "/s, 0% errors") &&
           absl::StrContains(seen, "v2 ") && absl::StrContains(seen, "/s, 100% errors");
  };
  bool shown = Eventually(rates_shown, absl::Seconds(20), absl::Milliseconds(200));
  EXPECT_TRUE(shown) << seen;
  std::printf("console: live rates on the traffic graph: %s\n", seen.c_str());
  EXPECT_TRUE((*browser)->Screenshot(TestOutputPath("console-traffic-rates.png")).ok());
  EXPECT_THAT((*browser)->JavaScriptErrors(), IsEmpty());

  // keelctl describe reads the same telemetry from a real Prometheus that
  // scrapes keel, per subset, over the last minute.
  absl::StatusOr<PrometheusServer> prometheus = StartPrometheus((*keel)->monitoring_address());
  ASSERT_TRUE(prometheus.ok()) << prometheus.status();
  std::string described;
  bool rated = false;
  const absl::Time rated_by = absl::Now() + absl::Seconds(60);
  while (!rated && absl::Now() < rated_by) {
    ASSERT_TRUE(report().ok());
    absl::StatusOr<CommandResult> result =
        RunToCompletion(KeelBinaryPath("keelctl"), {"describe", "service", "reviews",
                                                    "--pilot=" + (*keel)->monitoring_address(),
                                                    "--prometheus=" + prometheus->address()});
    ASSERT_TRUE(result.ok());
    described = result->out;
    rated = ::testing::Value(described, ::testing::ContainsRegex(
                                            "version v1 \\(subset v1\\): [0-9.]+/s, 0% errors")) &&
            ::testing::Value(described, ::testing::ContainsRegex(
                                            "version v2 \\(subset v2\\): [0-9.]+/s, 100% errors"));
    if (!rated) absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_TRUE(rated) << described;
  std::printf("keelctl describe with Prometheus:\n%s", described.c_str());

  // Split mode: a Pilot of its own, with Mixer's telemetry in Prometheus,
  // puts the same rates on its traffic graph.
  absl::StatusOr<RunningService*> pilot =
      mesh().Start("pilot", {"--galley_address=" + (*keel)->grpc_address_of("galley"),
                             "--prometheus=" + prometheus->address()});
  ASSERT_TRUE(pilot.ok());
  ASSERT_TRUE((*pilot)->WaitReady().ok()) << (*pilot)->process().Log();
  ASSERT_TRUE(
      (*browser)
          ->Navigate(absl::StrCat("http://", (*pilot)->monitoring_address(), "/console#traffic"))
          .ok());
  shown = Eventually(rates_shown, absl::Seconds(30), absl::Milliseconds(200));
  EXPECT_TRUE(shown) << seen;
  std::printf("console of a Pilot apart, rates from Prometheus: %s\n", seen.c_str());
  EXPECT_TRUE((*browser)->Screenshot(TestOutputPath("console-traffic-rates-prometheus.png")).ok());
  EXPECT_THAT((*browser)->JavaScriptErrors(), IsEmpty());
  prometheus->process.Terminate();
}

// The console, like the debug pages, answers only this machine unless
// --debug_remote: here it is simply served, whole, from Pilot's binary.
// With Galley's config on etcd, the Config page shows a resource's versions
// (keelctl history's answer, which Pilot asks Galley for), marking what each
// changed; bad questions get a clear answer.
TEST_F(ConsoleTest, TheConfigPageShowsAResourcesHistoryFromEtcd) {
  absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd = EtcdCluster::Start(1);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const std::string dir = TestTempDir("console-history");
  WriteFile(dir + "/registry.yaml", Registry());
  WriteFile(dir + "/routes.yaml", Split(80, 20));
  absl::StatusOr<SplitPair> started = StartGalleyAndPilot(
      dir, {"--debounce=20ms", (*etcd)->EndpointsFlag()}, {"--debounce_after=30ms"});
  ASSERT_TRUE(started.ok()) << started.status();
  RunningService* pilot = started->pilot;
  const std::string monitoring = pilot->monitoring_address();
  const std::string reviews = "/debug/history?kind=VirtualService&namespace=default&name=reviews";
  auto versions = [&]() {
    absl::StatusOr<HttpResponse> response = HttpGet(monitoring, reviews);
    if (!response.ok() || response->status != 200) return 0;
    int count = 0;
    for (size_t at = response->body.find("\"revision\""); at != std::string::npos;
         at = response->body.find("\"revision\"", at + 1)) {
      ++count;
    }
    return count;
  };
  auto await_versions = [&](int n) {
    return Eventually([&] { return versions() >= n; }, absl::Seconds(10));
  };
  ASSERT_TRUE(await_versions(1));
  WriteFile(dir + "/routes.yaml", Split(50, 50));
  ASSERT_TRUE(await_versions(2)) << HttpGet(monitoring, reviews)->body;

  absl::StatusOr<std::unique_ptr<HeadlessBrowser>> browser = HeadlessBrowser::Launch();
  ASSERT_TRUE(browser.ok()) << browser.status();
  ASSERT_TRUE((*browser)->Navigate(absl::StrCat("http://", monitoring, "/console#config")).ok());
  const std::string row =
      "document.querySelector('tr.config-row[data-kind=\"VirtualService\"][data-name=\"reviews\"]'"
      ")";
  ASSERT_TRUE((*browser)->WaitFor(row + " !== null", absl::Seconds(10)));
  ASSERT_TRUE(
      (*browser)->Evaluate(row + ".dispatchEvent(new MouseEvent('click', {bubbles: true}))").ok());
  EXPECT_TRUE((*browser)->WaitFor(
      "document.querySelectorAll('#history .version').length === 2 && "
      "[...document.querySelectorAll('#history .version')[0].querySelectorAll('.changed')]"
      ".some(s => s.textContent.includes('50'))",
      absl::Seconds(5)))
      << *(*browser)->Evaluate("document.getElementById('page').innerText");
  EXPECT_TRUE((*browser)->Screenshot(TestOutputPath("console-config-history.png")).ok());
  EXPECT_THAT((*browser)->JavaScriptErrors(), IsEmpty());

  auto answer = [&](const std::string& query) {
    absl::StatusOr<HttpResponse> response = HttpGet(monitoring, "/debug/history" + query);
    return response.ok() ? absl::StrCat(response->status, " ", response->body) : std::string("-");
  };
  EXPECT_THAT(answer(""), HasSubstr("400"));
  EXPECT_THAT(answer("?kind=Gateway&name=nothing"),
              ::testing::AllOf(HasSubstr("404"), HasSubstr("does not exist")));
  EXPECT_THAT(answer("?kind=Bogus&name=x"),
              ::testing::AllOf(HasSubstr("400"), HasSubstr("unknown kind")));
}

// With Citadel in the process, the Certificates page lists each workload's
// certificate (expiry, renewals) and the CA's events: a keel-agent renewing
// a 4-second certificate, then a root rotation begun.
TEST_F(ConsoleTest, TheCertificatesPageShowsWorkloadRenewalsAndARootRotation) {
  const std::string dir = TestTempDir("console-certificates");
  WriteFile(dir + "/registry.yaml", Registry());
  absl::StatusOr<RunningService*> keel = mesh().Start("keel", {"--config_dir=" + dir});
  ASSERT_TRUE(keel.ok()) << keel.status();
  ASSERT_TRUE((*keel)->WaitReady().ok()) << (*keel)->process().Log();
  absl::StatusOr<RunningService*> agent =
      mesh().StartAgent(**keel, "shop", "cart", {"--cert_ttl=4s"});
  ASSERT_TRUE(agent.ok()) << agent.status();

  absl::StatusOr<std::unique_ptr<HeadlessBrowser>> browser = HeadlessBrowser::Launch();
  ASSERT_TRUE(browser.ok()) << browser.status();
  ASSERT_TRUE((*browser)
                  ->Navigate(absl::StrCat("http://", (*keel)->monitoring_address(),
                                          "/console#certificates"))
                  .ok());
  const std::string renewals =
      "(() => { const row = document.querySelector('tr.workload-cert[data-identity=\""
      "spiffe://cluster.local/ns/shop/sa/cart\"]'); return row ? "
      "Number(row.children[3].textContent) : -1; })()";
  EXPECT_TRUE((*browser)->WaitFor(renewals + " >= 1", absl::Seconds(20)))
      << *(*browser)->Evaluate("document.getElementById('page').innerText");

  absl::StatusOr<CommandResult> rotated = RunToCompletion(
      KeelBinaryPath("citadel"), {"--ca_dir=" + (*keel)->citadel_ca_dir, "rotate-root", "begin"});
  ASSERT_TRUE(rotated.ok());
  ASSERT_EQ(rotated->exit.status, 0) << rotated->err;
  EXPECT_TRUE((*browser)->WaitFor(
      "[...document.querySelectorAll('#cert-events li.ca')].some(li => "
      "li.textContent.includes('CA reloaded') && li.textContent.includes('2 trusted roots'))",
      absl::Seconds(10)))
      << *(*browser)->Evaluate("document.getElementById('page').innerText");
  EXPECT_TRUE((*browser)->Screenshot(TestOutputPath("console-certificates-workloads.png")).ok());
  EXPECT_THAT((*browser)->JavaScriptErrors(), IsEmpty());
}

// Split mode: Pilot relays Citadel's report (--citadel_debug_address), so
// its console's Certificates page shows the CA and the workloads too.
TEST_F(ConsoleTest, APilotApartShowsCitadelsCertificates) {
  const std::string dir = TestTempDir("console-split-certificates");
  WriteFile(dir + "/registry.yaml", Registry());
  absl::StatusOr<RunningService*> citadel = mesh().Start("citadel", {});
  ASSERT_TRUE(citadel.ok());
  ASSERT_TRUE((*citadel)->WaitReady().ok()) << (*citadel)->process().Log();
  absl::StatusOr<SplitPair> started =
      StartGalleyAndPilot(dir, {}, {"--citadel_debug_address=" + (*citadel)->monitoring_address()});
  ASSERT_TRUE(started.ok()) << started.status();
  RunningService* pilot = started->pilot;
  ASSERT_TRUE(mesh().StartAgent(**citadel, "shop", "web").ok());

  absl::StatusOr<std::unique_ptr<HeadlessBrowser>> browser = HeadlessBrowser::Launch();
  ASSERT_TRUE(browser.ok()) << browser.status();
  ASSERT_TRUE(
      (*browser)
          ->Navigate(absl::StrCat("http://", pilot->monitoring_address(), "/console#certificates"))
          .ok());
  EXPECT_TRUE((*browser)->WaitFor(
      "document.querySelector('tr.workload-cert[data-identity=\"spiffe://cluster.local/ns/shop/sa/"
      "web\"]') "
      "!== null && document.getElementById('page').innerText.includes('trusted roots')",
      absl::Seconds(20)))
      << *(*browser)->Evaluate("document.getElementById('page').innerText");
  EXPECT_TRUE((*browser)->Screenshot(TestOutputPath("console-certificates-split.png")).ok());
  EXPECT_THAT((*browser)->JavaScriptErrors(), IsEmpty());
}

TEST_F(ConsoleTest, AssetsAreServedFromTheBinary) {
  const std::string dir = TestTempDir("console-assets");
  WriteFile(dir + "/registry.yaml", Registry());
  absl::StatusOr<SplitPair> started = StartGalleyAndPilot(dir);
  ASSERT_TRUE(started.ok()) << started.status();
  RunningService* pilot = started->pilot;
  RunningService* galley = started->galley;
  for (const auto& [path, type] :
       std::vector<std::pair<std::string, std::string>>{{"/console", "text/html"},
                                                        {"/console/console.js", "text/javascript"},
                                                        {"/console/console.css", "text/css"}}) {
    absl::StatusOr<HttpResponse> response = HttpGet(pilot->monitoring_address(), path);
    ASSERT_TRUE(response.ok());
    EXPECT_EQ(response->status, 200) << path;
    EXPECT_GT(response->body.size(), 500u) << path;
  }
  // Galley reads folders only here: no history to show, and the console
  // is told why.
  absl::StatusOr<HttpResponse> history =
      HttpGet(pilot->monitoring_address(), "/debug/history?kind=ServiceEntry&name=reviews");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->status, 409);
  EXPECT_THAT(history->body, HasSubstr("needs --etcd_endpoints"));
  // No --prometheus: no rates; a Prometheus that is not there is named.
  absl::StatusOr<HttpResponse> rates = HttpGet(pilot->monitoring_address(), "/debug/rates");
  ASSERT_TRUE(rates.ok());
  EXPECT_EQ(rates->status, 200);
  EXPECT_EQ(rates->body, "{\"prometheus\":\"\",\"rates\":[]}");
  const uint16_t nobody = PickFreePort();
  absl::StatusOr<RunningService*> blind =
      mesh().Start("pilot", {"--galley_address=" + galley->grpc_address(),
                             absl::StrCat("--prometheus=127.0.0.1:", nobody),
                             absl::StrCat("--citadel_debug_address=127.0.0.1:", nobody)});
  ASSERT_TRUE(blind.ok());
  ASSERT_TRUE((*blind)->WaitReady().ok());
  rates = HttpGet((*blind)->monitoring_address(), "/debug/rates");
  ASSERT_TRUE(rates.ok());
  EXPECT_EQ(rates->status, 502);
  EXPECT_THAT(rates->body, HasSubstr(absl::StrCat("127.0.0.1:", nobody)));
  absl::StatusOr<HttpResponse> certz =
      HttpGet((*blind)->monitoring_address(), "/debug/citadel/certz");
  ASSERT_TRUE(certz.ok());
  EXPECT_EQ(certz->status, 502);
  EXPECT_THAT(certz->body, HasSubstr(absl::StrCat("Citadel at 127.0.0.1:", nobody)));
}

}  // namespace
}  // namespace keel::testing
