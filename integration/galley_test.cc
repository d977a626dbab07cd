// End to end: the real galley binary on a temp directory, with Keel's ADS
// client subscribed over MCP-over-xDS; curl against the HTTPS webhook;
// keelctl on real files.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integration/harness/etcd_cluster.h"
#include "integration/harness/eventually.h"
#include "integration/harness/mesh.h"
#include "libs/common/http_client.h"
#include "libs/etcd/client.h"
#include "libs/mesh/testing/hostile_yaml.h"
#include "libs/mesh/testing/shared_testdata.h"
#include "libs/xds/ads_client.h"
#include "proto/istio/mcp/v1alpha1/resource.pb.h"
#include "proto/istio/networking/v1alpha3/destination_rule.pb.h"
#include "proto/istio/networking/v1alpha3/virtual_service.pb.h"

namespace keel::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kVsType = "networking.istio.io/v1alpha3/VirtualService";
const std::string kDrType = "networking.istio.io/v1alpha3/DestinationRule";

std::string Vs(const std::string& name, const std::string& weight_v1,
               const std::string& weight_v2) {
  return absl::StrCat(
      "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata:\n  name: ", name,
      "\nspec:\n  hosts: [", name, "]\n  http:\n  - route:\n    - destination: {host: ", name,
      ", subset: v1}\n      weight: ", weight_v1, "\n    - destination: {host: ", name,
      ", subset: v2}\n      weight: ", weight_v2, "\n");
}

std::string Dr(const std::string& name, const std::string& lb) {
  return absl::StrCat(
      "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: ", name,
      "\nspec:\n  host: ", name, "\n  trafficPolicy:\n    loadBalancer: {simple: ", lb,
      "}\n  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: "
      "v2}}\n");
}

void WriteFile(const std::string& path, const std::string& content) {
  // Write-then-rename, as editors and config management do.
  std::ofstream(path + ".tmp") << content;
  std::filesystem::rename(path + ".tmp", path);
}

// The weights of v1 and v2 in the client's copy of a VirtualService.
std::string Weights(const xds::AdsClient& client, const std::string& name) {
  auto resources = client.Resources(kVsType);
  auto it = resources.find("default/" + name);
  if (it == resources.end()) return "absent";
  istio::mcp::v1alpha1::Resource envelope;
  istio::networking::v1alpha3::VirtualService vs;
  if (!it->second->body.UnpackTo(&envelope) || !envelope.body().UnpackTo(&vs)) return "undecodable";
  return absl::StrCat(vs.http(0).route(0).weight(), "/", vs.http(0).route(1).weight());
}

std::string LbOf(const xds::AdsClient& client, const std::string& name) {
  auto resources = client.Resources(kDrType);
  auto it = resources.find("default/" + name);
  if (it == resources.end()) return "absent";
  istio::mcp::v1alpha1::Resource envelope;
  istio::networking::v1alpha3::DestinationRule dr;
  it->second->body.UnpackTo(&envelope);
  envelope.body().UnpackTo(&dr);
  return istio::networking::v1alpha3::LoadBalancerSettings::SimpleLB_Name(
      dr.traffic_policy().load_balancer().simple());
}

std::unique_ptr<xds::AdsClient> Subscribe(const RunningService& galley, bool delta) {
  xds::AdsClientOptions options;
  options.server_address = galley.grpc_address();
  options.node.set_id(delta ? "delta-subscriber" : "sotw-subscriber");
  options.delta = delta;
  options.sotw_resource_name = [](const google::protobuf::Any& any) {
    istio::mcp::v1alpha1::Resource envelope;
    any.UnpackTo(&envelope);
    return envelope.metadata().name();
  };
  auto client = std::make_unique<xds::AdsClient>(options, [](const xds::ResourceUpdate& update) {
    // Every resource must be an MCP envelope around the kind's typed spec.
    for (const auto& [name, resource] : update.updated) {
      istio::mcp::v1alpha1::Resource envelope;
      if (!resource->body.UnpackTo(&envelope))
        return absl::InvalidArgumentError("not an MCP Resource");
      if (envelope.metadata().name() != name)
        return absl::InvalidArgumentError("metadata.name mismatch");
    }
    return absl::OkStatus();
  });
  client->Subscribe(kVsType);
  client->Subscribe(kDrType);
  client->Start();
  return client;
}

class GalleyTest : public MeshTest {};

TEST_F(GalleyTest, WriteChangeBreakAndDeleteFiles) {
  const std::string dir = TestTempDir("galley-config");
  WriteFile(dir + "/reviews.yaml",
            Vs("reviews", "80", "20") + "---\n" + Dr("reviews", "ROUND_ROBIN"));
  absl::StatusOr<RunningService*> galley =
      mesh().Start("galley", {"--config_dir=" + dir, "--debounce=50ms"});
  ASSERT_TRUE(galley.ok());
  ASSERT_TRUE((*galley)->WaitReady().ok()) << (*galley)->process().Log();

  auto delta = Subscribe(**galley, /*delta=*/true);
  auto sotw = Subscribe(**galley, /*delta=*/false);
  auto both = [&](const std::function<bool(const xds::AdsClient&)>& predicate) {
    return delta->WaitUntil(predicate, absl::Seconds(10)) &&
           sotw->WaitUntil(predicate, absl::Seconds(10));
  };
  ASSERT_TRUE(both([](const xds::AdsClient& c) { return Weights(c, "reviews") == "80/20"; }));
  EXPECT_EQ(LbOf(*delta, "reviews"), "ROUND_ROBIN");

  // Change: both subscribers see the new weights.
  WriteFile(dir + "/reviews.yaml",
            Vs("reviews", "0", "100") + "---\n" + Dr("reviews", "ROUND_ROBIN"));
  ASSERT_TRUE(both([](const xds::AdsClient& c) { return Weights(c, "reviews") == "0/100"; }));

  // Break the VirtualService while changing its DestinationRule in the same
  // file: the good neighbour flows, the broken one keeps its last good version.
  WriteFile(dir + "/reviews.yaml",
            Vs("reviews", "eighty", "20") + "---\n" + Dr("reviews", "LEAST_REQUEST"));
  ASSERT_TRUE(both([](const xds::AdsClient& c) { return LbOf(c, "reviews") == "LEAST_REQUEST"; }));
  EXPECT_EQ(Weights(*delta, "reviews"), "0/100");
  EXPECT_EQ(Weights(*sotw, "reviews"), "0/100");
  absl::StatusOr<HttpResponse> configz = HttpGet((*galley)->monitoring_address(), "/debug/configz");
  ASSERT_TRUE(configz.ok());
  EXPECT_THAT(configz->body, HasSubstr("spec.http[0].route[0].weight"));
  EXPECT_THAT(configz->body, HasSubstr(R"(expected integer, got \"eighty\")"));
  EXPECT_THAT(configz->body,
              HasSubstr(R"("servingLastGoodVersion":["VirtualService/default/reviews"])"));
  absl::StatusOr<HttpResponse> metrics = HttpGet((*galley)->monitoring_address(), "/metrics");
  EXPECT_THAT(metrics->body, HasSubstr("galley_validation_errors{kind=\"VirtualService\"} 1"));
  // The reload's summary is logged once its snapshot is published, which
  // subscribers may see first.
  EXPECT_TRUE(WaitForLog((*galley)->process(), "1 errors, 0 warnings", absl::Seconds(10)))
      << (*galley)->process().Log();
  EXPECT_THAT(metrics->body, HasSubstr("galley_resources{kind=\"VirtualService\"} 1"));
  EXPECT_THAT(metrics->body, HasSubstr("galley_mcp_connected_streams 2"));
  EXPECT_THAT(metrics->body, HasSubstr("galley_mcp_pushes_total{type=\"" + kVsType + "\"}"));

  // Garbage in another file changes nothing that serves.
  WriteFile(dir + "/garbage.yaml", "apiVersion: [\n\t: : :\n");
  WriteFile(dir + "/other.yaml", Vs("ratings", "50", "50"));
  ASSERT_TRUE(both([](const xds::AdsClient& c) { return Weights(c, "ratings") == "50/50"; }));
  EXPECT_EQ(Weights(*delta, "reviews"), "0/100");

  // Fix, then delete: removal reaches the subscribers.
  WriteFile(dir + "/reviews.yaml", Vs("reviews", "30", "70"));
  ASSERT_TRUE(both([](const xds::AdsClient& c) {
    return Weights(c, "reviews") == "30/70" && LbOf(c, "reviews") == "absent";
  }));
  std::filesystem::remove(dir + "/reviews.yaml");
  ASSERT_TRUE(both([](const xds::AdsClient& c) { return Weights(c, "reviews") == "absent"; }));
  EXPECT_EQ(Weights(*sotw, "ratings"), "50/50");
  EXPECT_TRUE((*galley)->process().Running());
  delta->Stop();
  sotw->Stop();
}

// What once stopped Galley for good, all at once: a YAML alias bomb (the
// reload thread spun forever), symlink loops (uncaught filesystem_error) and
// the folder removed and recreated (an empty snapshot, the watch lost).
TEST_F(GalleyTest, HostileFolderNeitherStopsNorEmptiesGalley) {
  const std::string dir = TestTempDir("galley-hostile");
  WriteFile(dir + "/bomb.yaml", mesh::testing::AliasBombYaml());
  WriteFile(dir + "/reviews.yaml", Vs("reviews", "80", "20"));
  std::filesystem::create_directories(dir + "/sub");
  std::filesystem::create_symlink("..", dir + "/sub/loop");
  std::filesystem::create_symlink("self.yaml", dir + "/self.yaml");
  absl::StatusOr<RunningService*> galley =
      mesh().Start("galley", {"--config_dir=" + dir, "--debounce=50ms"});
  ASSERT_TRUE(galley.ok());
  ASSERT_TRUE((*galley)->WaitReady().ok()) << (*galley)->process().Log();
  auto client = Subscribe(**galley, /*delta=*/false);
  ASSERT_TRUE(client->WaitUntil(
      [](const xds::AdsClient& c) { return Weights(c, "reviews") == "80/20"; }, absl::Seconds(10)));
  absl::StatusOr<HttpResponse> configz = HttpGet((*galley)->monitoring_address(), "/debug/configz");
  ASSERT_TRUE(configz.ok());
  EXPECT_THAT(configz->body, HasSubstr("YAML aliases expand to too many nodes"));
  EXPECT_THAT(configz->body, HasSubstr("symlink loop"));

  // Later edits still load.
  WriteFile(dir + "/reviews.yaml", Vs("reviews", "10", "90"));
  ASSERT_TRUE(client->WaitUntil(
      [](const xds::AdsClient& c) { return Weights(c, "reviews") == "10/90"; }, absl::Seconds(10)));

  // The folder vanishes: the last good config stays, and says why.
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WaitForLog((*galley)->process(), "configured folder is gone", absl::Seconds(10)));
  absl::StatusOr<HttpResponse> gone = HttpGet((*galley)->monitoring_address(), "/debug/configz");
  ASSERT_TRUE(gone.ok());
  EXPECT_THAT(gone->body, HasSubstr(R"("missingDirectories":[")" + dir + "\"]"));
  absl::StatusOr<HttpResponse> healthz = HttpGet((*galley)->monitoring_address(), "/healthz");
  ASSERT_TRUE(healthz.ok());
  EXPECT_EQ(healthz->status, 200);
  EXPECT_EQ(Weights(*client, "reviews"), "10/90");
  // Back (rm + mkdir): watched again.
  std::filesystem::create_directories(dir);
  WriteFile(dir + "/reviews.yaml", Vs("reviews", "30", "70"));
  ASSERT_TRUE(client->WaitUntil(
      [](const xds::AdsClient& c) { return Weights(c, "reviews") == "30/70"; }, absl::Seconds(10)));
  client->Stop();
  ExitInfo exit = (*galley)->Stop();
  EXPECT_TRUE(exit.exited) << exit.ToString();
  EXPECT_EQ(exit.status, 0);
}

// Istio 1.4's Mixer samples load (the release build once crashed on them)
// and a deprecation warning is logged with its file:line, counted apart from
// errors and shown on /debug/configz.
TEST_F(GalleyTest, MixerSamplesLoadAndWarningsAreCountedApart) {
  const std::string dir = TestTempDir("galley-warn");
  for (const std::string& file :
       mesh::testing::YamlFilesUnder(mesh::testing::IstioTestdataDir() + "/mixer-policy-1.4")) {
    std::filesystem::copy_file(file, dir + "/" + std::filesystem::path(file).filename().string());
  }
  WriteFile(dir + "/fault.yaml",
            "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {name: "
            "r}\nspec:\n  hosts: [r]\n  http:\n  - route:\n    - destination: {host: r}\n"
            "    fault:\n      delay: {percent: 10, fixedDelay: 1s}\n");
  absl::StatusOr<RunningService*> galley = mesh().Start("galley", {"--config_dir=" + dir});
  ASSERT_TRUE(galley.ok());
  ASSERT_TRUE((*galley)->WaitReady().ok()) << (*galley)->process().Log();
  const std::string log = (*galley)->process().Log();
  EXPECT_THAT(log, HasSubstr(" 0 errors, 1 warnings"));
  EXPECT_THAT(log, HasSubstr("warning galley: " + dir +
                             "/fault.yaml:10:15: Warning VirtualService default/r: "
                             "spec.http[0].fault.delay.percent"));
  absl::StatusOr<HttpResponse> configz = HttpGet((*galley)->monitoring_address(), "/debug/configz");
  ASSERT_TRUE(configz.ok());
  EXPECT_THAT(configz->body, HasSubstr(R"("errors":[],"warnings":[{"level":"Warning")"));
  EXPECT_THAT(configz->body, HasSubstr("config.istio.io/v1alpha2/rule"));
  EXPECT_TRUE((*galley)->process().Running());
}

// Mixer rules and instances are type-checked against the attribute
// manifests in any file: one that does not compile is refused with its file
// and line, and its last good version keeps serving.
TEST_F(GalleyTest, MixerExpressionsThatDoNotTypeCheckAreRefusedWithFileAndLine) {
  const std::string dir = TestTempDir("galley-mixer");
  std::filesystem::copy_file(mesh::testing::IstioTestdataDir() + "/mixer-api-1.4/attributes.yaml",
                             dir + "/attributes.yaml");
  auto rule = [](const std::string& match) {
    return "apiVersion: config.istio.io/v1alpha2\nkind: rule\nmetadata: {name: deny, namespace: "
           "istio-system}\nspec:\n  match: '" +
           match + "'\n  actions: [{handler: h, instances: [i]}]\n";
  };
  WriteFile(dir + "/rule.yaml", rule(R"(source.labels["app"] == "x")"));
  absl::StatusOr<RunningService*> galley =
      mesh().Start("galley", {"--config_dir=" + dir, "--debounce=20ms"});
  ASSERT_TRUE(galley.ok());
  ASSERT_TRUE((*galley)->WaitReady().ok()) << (*galley)->process().Log();
  auto configz_until = [&](const std::vector<std::string>& texts) {
    std::string body;
    const bool all = Eventually(
        [&] {
          absl::StatusOr<HttpResponse> configz =
              HttpGet((*galley)->monitoring_address(), "/debug/configz");
          if (!configz.ok()) return false;
          body = configz->body;
          return std::all_of(texts.begin(), texts.end(),
                             [&](const std::string& text) { return absl::StrContains(body, text); });
        },
        absl::Seconds(20), absl::Milliseconds(20));
    if (!all) ADD_FAILURE() << "configz never had all of the texts; last: " << body;
    return body;
  };
  configz_until({R"("errors":[])"});

  WriteFile(dir + "/rule.yaml", rule(R"(source.labels == "x")"));
  configz_until({dir + R"(/rule.yaml","line":1)", "rule istio-system/deny", "spec.match",
                 R"(\"==\" between STRING_MAP and STRING)",
                 R"("servingLastGoodVersion":["rule/istio-system/deny"])"});

  // A new instance that does not compile has no good version: not served.
  WriteFile(dir + "/instance.yaml",
            "apiVersion: config.istio.io/v1alpha2\nkind: instance\nmetadata: {name: q, namespace: "
            "istio-system}\nspec:\n  compiledTemplate: quota\n  params:\n    dimensions:\n      "
            "destination: destination.labels[\"app\"] | 7\n");
  const std::string body = configz_until({dir + R"(/instance.yaml","line":1)", "spec.params.dimensions.destination"});
  EXPECT_THAT(body, HasSubstr(R"(\"|\" between STRING and INT64)"));
  EXPECT_THAT(body, ::testing::Not(HasSubstr("instance/istio-system/q\"]")));
  // The log names file:line:column, as every validation error does.
  EXPECT_THAT((*galley)->process().Log(),
              HasSubstr(dir + "/rule.yaml:1:1: rule istio-system/deny: spec.match: "));
  EXPECT_TRUE((*galley)->process().Running());

  // keelctl validate refuses what Galley refuses (it accepted it before),
  // with the same file:line, as keelctl analyze does.
  for (const char* command : {"validate", "analyze"}) {
    absl::StatusOr<CommandResult> checked =
        RunToCompletion(KeelBinaryPath("keelctl"), {command, "-f", dir});
    ASSERT_TRUE(checked.ok());
    EXPECT_EQ(checked->exit.status, 1) << command << ": " << checked->out;
    EXPECT_THAT(checked->err, HasSubstr(dir + "/rule.yaml:1:1: rule istio-system/deny: spec.match: "))
        << command;
    EXPECT_THAT(checked->err, HasSubstr(R"("|" between STRING and INT64)")) << command;
  }
}

// Config on a real 3-member etcd cluster, two Galley replicas reading one
// folder into it. A subscriber of replica B alone, and one given both
// replicas' addresses (as Pilot and Mixer may be), follow every change:
// after the etcd leader is killed, and after replica A is killed (the
// second subscriber moves to B); nothing written is lost.
TEST_F(GalleyTest, ReplicasShareConfigThroughEtcdAndSurviveKills) {
  absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd = EtcdCluster::Start(3);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const std::string dir = TestTempDir("galley-etcd");
  WriteFile(dir + "/reviews.yaml", Vs("reviews", "80", "20"));
  std::vector<RunningService*> galleys;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<RunningService*> galley =
        mesh().Start("galley", {"--config_dir=" + dir, "--debounce=20ms",
                                "--folder_writer_lease=2s", (*etcd)->EndpointsFlag()});
    ASSERT_TRUE(galley.ok());
    ASSERT_TRUE((*galley)->WaitReady().ok()) << (*galley)->process().Log();
    galleys.push_back(*galley);
  }
  // One replica writes the folder (it holds the writer's lease), the other
  // only serves; the writer is the one killed below. The first to start
  // takes the lease at once.
  auto writes = [](RunningService* galley) {
    return absl::StrContains(galley->process().Log(), "leads /keel/v1/folder-writers/");
  };
  const absl::Time elected_by = absl::Now() + absl::Seconds(20);
  while (!writes(galleys[0]) && !writes(galleys[1]) && absl::Now() < elected_by) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_NE(writes(galleys[0]), writes(galleys[1])) << "exactly one replica must write the folder";
  if (writes(galleys[1])) std::swap(galleys[0], galleys[1]);
  auto on_b = Subscribe(*galleys[1], /*delta=*/true);
  xds::AdsClientOptions options;
  options.server_address = galleys[0]->grpc_address() + "," + galleys[1]->grpc_address();
  options.node.set_id("failover-subscriber");
  options.delta = true;
  auto on_both = std::make_unique<xds::AdsClient>(
      options, [](const xds::ResourceUpdate&) { return absl::OkStatus(); });
  on_both->Subscribe(kVsType);
  on_both->Start();
  auto see = [&](const std::string& weights) {
    auto has = [&](const xds::AdsClient& c) { return Weights(c, "reviews") == weights; };
    return on_b->WaitUntil(has, absl::Seconds(20)) && on_both->WaitUntil(has, absl::Seconds(20));
  };
  ASSERT_TRUE(see("80/20"));

  std::optional<int> leader = (*etcd)->Leader();
  ASSERT_TRUE(leader.has_value());
  (*etcd)->Kill(*leader);
  absl::Time since = absl::Now();
  WriteFile(dir + "/reviews.yaml", Vs("reviews", "10", "90"));
  ASSERT_TRUE(see("10/90"));
  std::printf("etcd leader killed: a file change reached both subscribers in %.0f ms\n",
              absl::ToDoubleMilliseconds(absl::Now() - since));

  galleys[0]->Kill();
  since = absl::Now();
  WriteFile(dir + "/reviews.yaml", Vs("reviews", "30", "70"));
  ASSERT_TRUE(see("30/70"));
  EXPECT_TRUE(writes(galleys[1])) << "the other replica took over the folder";
  std::printf("the folder's writer killed: a file change reached both subscribers in %.0f ms "
              "(the other replica took the 2 s writer lease)\n",
              absl::ToDoubleMilliseconds(absl::Now() - since));
  auto late = Subscribe(*galleys[1], /*delta=*/false);
  EXPECT_TRUE(late->WaitUntil(
      [](const xds::AdsClient& c) { return Weights(c, "reviews") == "30/70"; }, absl::Seconds(20)));
  on_b->Stop();
  on_both->Stop();
  late->Stop();
}

// A Galley whose etcd has lost its quorum cannot know its config is
// current: it goes not-ready (/readyz says why) and is ready again when the
// quorum returns; a file changed meanwhile reaches etcd then (no accepted
// config is lost).
TEST_F(GalleyTest, GalleyIsNotReadyWhileEtcdHasNoQuorum) {
  absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd = EtcdCluster::Start(3);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const std::string dir = TestTempDir("galley-quorum");
  WriteFile(dir + "/reviews.yaml", Vs("reviews", "80", "20"));
  absl::StatusOr<RunningService*> galley = mesh().Start(
      "galley", {"--config_dir=" + dir, "--debounce=20ms", (*etcd)->EndpointsFlag()});
  ASSERT_TRUE(galley.ok());
  ASSERT_TRUE((*galley)->WaitReady().ok()) << (*galley)->process().Log();
  auto readyz_until = [&](int code) {
    std::string body;
    const bool answered = Eventually(
        [&] {
          absl::StatusOr<HttpResponse> readyz = HttpGet((*galley)->monitoring_address(), "/readyz");
          if (readyz.ok()) body = readyz->body;
          return readyz.ok() && readyz->status == code;
        },
        absl::Seconds(30));
    if (!answered) ADD_FAILURE() << "/readyz never answered " << code << "; last: " << body;
    return body;
  };
  // Galley writes its folder only while it holds the writer's lease: the
  // quorum goes once it does (else no write is tried, and none fails).
  ASSERT_TRUE(WaitForLog((*galley)->process(), " leads /keel/v1/folder-writers/", absl::Seconds(30)))
      << (*galley)->process().Log();
  (*etcd)->Kill(1);
  (*etcd)->Kill(2);
  EXPECT_THAT(readyz_until(503), HasSubstr("etcd watch broken"));
  WriteFile(dir + "/reviews.yaml", Vs("reviews", "40", "60"));
  // The write fails (no quorum) and is kept for later.
  ASSERT_TRUE(WaitForLog((*galley)->process(), "etcd config store: etcd txn", absl::Seconds(30)))
      << (*galley)->process().Log();
  ASSERT_TRUE((*etcd)->Restart(1).ok());
  ASSERT_TRUE((*etcd)->Restart(2).ok());
  readyz_until(200);
  auto subscriber = Subscribe(**galley, /*delta=*/true);
  EXPECT_TRUE(subscriber->WaitUntil(
      [](const xds::AdsClient& c) { return Weights(c, "reviews") == "40/60"; }, absl::Seconds(20)));
  subscriber->Stop();
}

// A resource larger than etcd takes in one request (2 MB of annotation):
// before, it was counted as loaded and never reached anyone. Now it is an
// error of its file (file:line, the size, the limit) on /debug/configz, and
// the rest of the folder is served.
TEST_F(GalleyTest, OnEtcdAResourceTooLargeForEtcdIsAnErrorOfItsFileAndTheRestIsServed) {
  absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd = EtcdCluster::Start(1);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const std::string dir = TestTempDir("galley-large");
  WriteFile(dir + "/reviews.yaml", Vs("reviews", "80", "20"));
  WriteFile(dir + "/large.yaml",
            absl::StrCat("apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\n"
                         "metadata:\n  name: large\n  annotations:\n    blob: ",
                         std::string(2 << 20, 'x'),
                         "\nspec:\n  hosts: [large]\n  http:\n  - route:\n"
                         "    - destination: {host: large}\n"));
  absl::StatusOr<RunningService*> galley = mesh().Start(
      "galley", {"--config_dir=" + dir, "--debounce=20ms", (*etcd)->EndpointsFlag()});
  ASSERT_TRUE(galley.ok());
  ASSERT_TRUE((*galley)->WaitReady().ok()) << (*galley)->process().Log();
  absl::StatusOr<HttpResponse> configz = HttpGet((*galley)->monitoring_address(), "/debug/configz");
  ASSERT_TRUE(configz.ok());
  EXPECT_THAT(configz->body, HasSubstr("large.yaml\",\"line\":1,"));
  EXPECT_THAT(configz->body, HasSubstr("more than the 1572864 bytes etcd takes in one request"));
  EXPECT_THAT((*galley)->process().Log(),
              HasSubstr("VirtualService default/large: stored in etcd it takes "));
  auto subscriber = Subscribe(**galley, /*delta=*/true);
  EXPECT_TRUE(subscriber->WaitUntil(
      [](const xds::AdsClient& c) { return Weights(c, "reviews") == "80/20"; }, absl::Seconds(20)));
  subscriber->Stop();
}

// Galley on etcd that nobody serves: it exits naming the endpoints it
// tried. A replica on etcd without folders serves its debug pages (its
// /debug/configz crashed it before).
TEST_F(GalleyTest, EtcdEndpointsAreNamedWhenUnreachableAndAFolderlessReplicaServesConfigz) {
  const uint16_t nobody = PickFreePort();
  absl::StatusOr<CommandResult> unreachable = RunToCompletion(
      KeelBinaryPath("galley"),
      {absl::StrCat("--etcd_endpoints=127.0.0.1:", nobody), "--grpc_address=127.0.0.1:0",
       "--monitoring_address=127.0.0.1:0", "--insecure_plaintext"},
      absl::Seconds(60));
  ASSERT_TRUE(unreachable.ok());
  EXPECT_NE(unreachable->exit.status, 0);
  EXPECT_THAT(unreachable->err, HasSubstr(absl::StrCat("cannot read etcd at 127.0.0.1:", nobody, ": ")));

  absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd = EtcdCluster::Start(1);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  absl::StatusOr<RunningService*> galley = mesh().Start("galley", {(*etcd)->EndpointsFlag()});
  ASSERT_TRUE(galley.ok());
  ASSERT_TRUE((*galley)->WaitReady().ok()) << (*galley)->process().Log();
  for (const char* page : {"/debug", "/debug/configz", "/debug/mcpz", "/metrics", "/readyz"}) {
    absl::StatusOr<HttpResponse> response = HttpGet((*galley)->monitoring_address(), page);
    ASSERT_TRUE(response.ok()) << page << ": " << response.status();
    EXPECT_EQ(response->status, 200) << page;
  }
}

// keelctl apply / get / history / rollback / delete through Galley on a
// real etcd: a bad file is refused whole with file:line errors; each good
// apply is a revision; rollback restores an earlier spec exactly; what the
// API wrote survives a folder-reading replica's loads.
TEST_F(GalleyTest, KeelctlAppliesHistoryAndRollbackThroughEtcd) {
  absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd = EtcdCluster::Start(3);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  absl::StatusOr<RunningService*> galley = mesh().Start("galley", {(*etcd)->EndpointsFlag()});
  ASSERT_TRUE(galley.ok());
  ASSERT_TRUE((*galley)->WaitReady().ok()) << (*galley)->process().Log();
  const std::string dir = TestTempDir("keelctl-apply");
  auto keelctl = [&](std::vector<std::string> args) {
    args.push_back("--galley=" + (*galley)->grpc_address());
    absl::StatusOr<CommandResult> result = RunToCompletion(KeelBinaryPath("keelctl"), args);
    EXPECT_TRUE(result.ok());
    return result.ok() ? *result : CommandResult{};
  };
  auto subscriber = Subscribe(**galley, /*delta=*/true);
  auto sees = [&](const std::string& weights) {
    return subscriber->WaitUntil(
        [&](const xds::AdsClient& c) { return Weights(c, "reviews") == weights; }, absl::Seconds(20));
  };

  WriteFile(dir + "/bad.yaml", Vs("reviews", "eighty", "20"));
  CommandResult bad = keelctl({"apply", "-f", dir + "/bad.yaml"});
  EXPECT_EQ(bad.exit.status, 1);
  EXPECT_THAT(bad.err, HasSubstr(dir + "/bad.yaml:"));
  EXPECT_THAT(bad.err, HasSubstr("VirtualService default/reviews: spec.http[0].route[0].weight"));
  EXPECT_THAT(bad.err, HasSubstr("nothing applied"));

  WriteFile(dir + "/reviews.yaml", Vs("reviews", "80", "20"));
  CommandResult first = keelctl({"apply", "-f", dir + "/reviews.yaml"});
  ASSERT_EQ(first.exit.status, 0) << first.err;
  ASSERT_TRUE(sees("80/20"));
  const std::string first_revision =
      first.out.substr(first.out.find("revision ") + 9, first.out.find(')') - first.out.find("revision ") - 9);
  WriteFile(dir + "/reviews.yaml", Vs("reviews", "50", "50"));
  ASSERT_EQ(keelctl({"apply", "-f", dir + "/reviews.yaml"}).exit.status, 0);
  ASSERT_TRUE(sees("50/50"));
  EXPECT_THAT(keelctl({"apply", "-f", dir + "/reviews.yaml"}).out,
              HasSubstr("VirtualService default/reviews unchanged"));

  // A replica reading a folder of its own does not delete what the API wrote.
  const std::string folder = TestTempDir("keelctl-folder");
  WriteFile(folder + "/ratings.yaml", Vs("ratings", "10", "90"));
  absl::StatusOr<RunningService*> reader = mesh().Start(
      "galley", {"--config_dir=" + folder, "--debounce=20ms", (*etcd)->EndpointsFlag()});
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE((*reader)->WaitReady().ok()) << (*reader)->process().Log();
  ASSERT_TRUE(subscriber->WaitUntil(
      [](const xds::AdsClient& c) { return Weights(c, "ratings") == "10/90"; }, absl::Seconds(20)));
  EXPECT_EQ(Weights(*subscriber, "reviews"), "50/50");

  CommandResult history = keelctl({"history", "VirtualService/default/reviews"});
  ASSERT_EQ(history.exit.status, 0) << history.err;
  EXPECT_THAT(history.out, HasSubstr("revision " + first_revision + ": "));
  EXPECT_EQ(std::count(history.out.begin(), history.out.end(), '\n'), 2);

  CommandResult rolled =
      keelctl({"rollback", "VirtualService/default/reviews", "--to=" + first_revision});
  ASSERT_EQ(rolled.exit.status, 0) << rolled.err;
  ASSERT_TRUE(sees("80/20"));
  CommandResult got = keelctl({"get", "virtualservice/default/reviews"});
  ASSERT_EQ(got.exit.status, 0) << got.err;
  EXPECT_THAT(got.out, HasSubstr("\"weight\":80"));
  EXPECT_EQ(keelctl({"rollback", "VirtualService/default/reviews", "--to=1"}).exit.status, 1);

  // Two applies racing on what `get` printed (its resourceVersion): one
  // wins, the other is refused naming the revision it lost to.
  const size_t at = got.out.find("\"resourceVersion\":\"");
  ASSERT_NE(at, std::string::npos) << got.out;
  const std::string base = got.out.substr(at + 19, got.out.find('"', at + 19) - at - 19);
  auto with_version = [&](const std::string& v1, const std::string& v2) {
    std::string yaml = Vs("reviews", v1, v2);
    yaml.replace(yaml.find("\nspec:"), 0, "\n  resourceVersion: \"" + base + "\"");
    return yaml;
  };
  WriteFile(dir + "/racer-a.yaml", with_version("30", "70"));
  WriteFile(dir + "/racer-b.yaml", with_version("70", "30"));
  std::vector<ChildProcess> racers;
  for (const char* racer : {"a", "b"}) {
    absl::StatusOr<ChildProcess> started = ChildProcess::Start(
        KeelBinaryPath("keelctl"),
        {"apply", "-f", absl::StrCat(dir, "/racer-", racer, ".yaml"),
         "--galley=" + (*galley)->grpc_address()},
        absl::StrCat(dir, "/racer-", racer, ".out"), absl::StrCat(dir, "/racer-", racer, ".err"));
    ASSERT_TRUE(started.ok());
    racers.push_back(*std::move(started));
  }
  std::vector<int> statuses;
  for (ChildProcess& racer : racers) {
    absl::StatusOr<ExitInfo> exit = racer.Wait(absl::Seconds(30));
    ASSERT_TRUE(exit.ok());
    statuses.push_back(exit->status);
  }
  ASSERT_THAT(statuses, ::testing::UnorderedElementsAre(0, 1));
  const int loser = statuses[0] == 0 ? 1 : 0;
  std::ifstream loser_err(absl::StrCat(dir, "/racer-", loser == 0 ? "a" : "b", ".err"));
  const std::string refusal((std::istreambuf_iterator<char>(loser_err)),
                            std::istreambuf_iterator<char>());
  EXPECT_THAT(refusal, HasSubstr("conflict: VirtualService default/reviews is at revision "));
  EXPECT_THAT(refusal, HasSubstr(", not " + base + " (metadata.resourceVersion)"));
  ASSERT_TRUE(sees(loser == 0 ? "70/30" : "30/70"));
  // The stale copy applied alone is refused the same way.
  EXPECT_EQ(keelctl({"apply", "-f", dir + "/racer-a.yaml"}).exit.status, 1);

  ASSERT_EQ(keelctl({"delete", "VirtualService/default/reviews"}).exit.status, 0);
  ASSERT_TRUE(sees("absent"));
  CommandResult gone = keelctl({"get", "VirtualService/default/reviews"});
  EXPECT_EQ(gone.exit.status, 1);
  EXPECT_THAT(gone.err, HasSubstr("VirtualService default/reviews does not exist"));
  subscriber->Stop();
}

// A Galley whose watch fell behind a compaction lists everything again
// and converges. Replica A is stopped (SIGSTOP) while every etcd member
// restarts (its watch stream is gone), changes land through replica B and
// etcd compacts them away; resumed, A's watch cannot continue from where
// it was, so A reads the whole state again and serves the latest.
TEST_F(GalleyTest, AReplicaWhoseWatchWasCompactedAwayListsAgainAndConverges) {
  absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd = EtcdCluster::Start(3);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  std::vector<RunningService*> galleys;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<RunningService*> galley = mesh().Start("galley", {(*etcd)->EndpointsFlag()});
    ASSERT_TRUE(galley.ok());
    ASSERT_TRUE((*galley)->WaitReady().ok()) << (*galley)->process().Log();
    galleys.push_back(*galley);
  }
  const std::string dir = TestTempDir("compaction");
  auto apply_to_b = [&](const std::string& v1, const std::string& v2) {
    WriteFile(dir + "/reviews.yaml", Vs("reviews", v1, v2));
    absl::StatusOr<CommandResult> applied = RunToCompletion(
        KeelBinaryPath("keelctl"),
        {"apply", "-f", dir + "/reviews.yaml", "--galley=" + galleys[1]->grpc_address()});
    ASSERT_TRUE(applied.ok());
    ASSERT_EQ(applied->exit.status, 0) << applied->err;
  };
  apply_to_b("80", "20");
  auto on_a = Subscribe(*galleys[0], /*delta=*/true);
  ASSERT_TRUE(on_a->WaitUntil(
      [](const xds::AdsClient& c) { return Weights(c, "reviews") == "80/20"; }, absl::Seconds(20)));

  ASSERT_EQ(kill(galleys[0]->process().pid(), SIGSTOP), 0);
  for (int member = 0; member < 3; ++member) {
    (*etcd)->Kill(member);
    ASSERT_TRUE((*etcd)->Restart(member).ok());
  }
  for (const char* weight : {"60", "40", "10"}) {
    apply_to_b(weight, std::to_string(100 - std::stoi(weight)));
  }
  absl::StatusOr<std::unique_ptr<etcd::EtcdClient>> client =
      etcd::EtcdClient::Connect({.endpoints = (*etcd)->endpoints()});
  ASSERT_TRUE(client.ok());
  absl::StatusOr<etcd::EtcdClient::Listing> now = (*client)->GetPrefix("/keel/v1/config/");
  ASSERT_TRUE(now.ok());
  ASSERT_TRUE((*client)->Compact(now->revision).ok());
  ASSERT_EQ(kill(galleys[0]->process().pid(), SIGCONT), 0);

  EXPECT_TRUE(on_a->WaitUntil(
      [](const xds::AdsClient& c) { return Weights(c, "reviews") == "10/90"; }, absl::Seconds(30)))
      << galleys[0]->process().Log();
  EXPECT_THAT(galleys[0]->process().Log(), HasSubstr("compacted under the watch; listing again"));
  on_a->Stop();
}

// The config API can rewrite the mesh: over plaintext it answers only this
// machine. A caller reaching Galley through another of its addresses is
// refused, naming why. (Skipped where the machine has no other address.)
TEST_F(GalleyTest, ConfigApiRefusesRemotePlaintextCallers) {
  std::string remote_ip;
  ifaddrs* addresses = nullptr;
  if (getifaddrs(&addresses) == 0) {
    for (ifaddrs* a = addresses; a != nullptr; a = a->ifa_next) {
      if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
      char text[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof(text));
      if (!absl::StartsWith(text, "127.")) {
        remote_ip = text;
        break;
      }
    }
    freeifaddrs(addresses);
  }
  if (remote_ip.empty()) GTEST_SKIP() << "no non-loopback IPv4 address here";
  absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd = EtcdCluster::Start(1);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  absl::StatusOr<RunningService*> galley =
      mesh().Start("galley", {(*etcd)->EndpointsFlag(), "--grpc_address=0.0.0.0:0"});
  ASSERT_TRUE(galley.ok());
  ASSERT_TRUE((*galley)->WaitReady().ok()) << (*galley)->process().Log();
  const std::string port = (*galley)->grpc_address().substr((*galley)->grpc_address().rfind(':') + 1);
  auto get = [&](const std::string& host) {
    absl::StatusOr<CommandResult> result = RunToCompletion(
        KeelBinaryPath("keelctl"),
        {"get", "VirtualService/default/nothing", "--galley=" + host + ":" + port});
    EXPECT_TRUE(result.ok());
    return result.ok() ? result->err : "";
  };
  EXPECT_THAT(get(remote_ip), HasSubstr("Galley's config API answers this machine"));
  EXPECT_THAT(get("127.0.0.1"), HasSubstr("VirtualService default/nothing does not exist"));
}

TEST_F(GalleyTest, AdmissionWebhookOverHttpsWithCurl) {
  const std::string dir = TestTempDir("webhook");
  // A real certificate, made by the openssl command line.
  absl::StatusOr<CommandResult> openssl = RunToCompletion(
      "/usr/bin/openssl",
      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
       dir + "/key.pem", "-out", dir + "/cert.pem", "-days", "1", "-subj", "/CN=localhost",
       "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"});
  ASSERT_TRUE(openssl.ok() && openssl->exit.status == 0) << (openssl.ok() ? openssl->err : "");
  const uint16_t port = PickFreePort();
  absl::StatusOr<RunningService*> galley = mesh().Start(
      "galley", {"--config_dir=" + dir, absl::StrCat("--webhook_address=127.0.0.1:", port),
                 "--webhook_cert=" + dir + "/cert.pem", "--webhook_key=" + dir + "/key.pem"});
  ASSERT_TRUE(galley.ok());
  ASSERT_TRUE((*galley)->WaitReady().ok()) << (*galley)->process().Log();
  auto post = [&](const std::string& body) {
    absl::StatusOr<CommandResult> curl =
        RunToCompletion("/usr/bin/curl",
                        {"-sS", "--cacert", dir + "/cert.pem", "-H",
                         "Content-Type: application/json", "-w", "\n%{http_code}", "--data-binary",
                         "@-", absl::StrCat("https://127.0.0.1:", port, "/validate")},
                        absl::Seconds(30), body);
    EXPECT_TRUE(curl.ok());
    return curl.ok() ? curl->out + curl->err : std::string();
  };
  const std::string review =
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","operation":"CREATE","object":)";
  EXPECT_THAT(
      post(
          review +
          R"({"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"g"},"spec":{"servers":[]}}}})"),
      HasSubstr(
          R"("allowed":false,"status":{"code":400,"reason":"Invalid","message":"Gateway default/g: spec.servers: gateway must have at least one server"})"));
  EXPECT_THAT(
      post(
          review +
          R"({"apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":{"name":"d"},"spec":{"host":"d"}}}})"),
      HasSubstr(R"("uid":"u-1","allowed":true}})"));
  // A body over the webhook's 2 MiB bound is refused before it is read whole.
  EXPECT_THAT(post(review + std::string(3 << 20, ' ') + "}}"), HasSubstr("\n413"));
  std::string bad = post("{\"apiVersion\": ");
  EXPECT_THAT(bad, HasSubstr("bad AdmissionReview: malformed JSON"));
  EXPECT_THAT(bad, HasSubstr("\n400"));
  // Still serving after bad input.
  EXPECT_THAT(post(review + R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}}})"),
              HasSubstr(R"("allowed":true)"));
}

TEST(KeelctlTest, ValidateAndAnalyzeOnFiles) {
  const std::string keelctl = KeelBinaryPath("keelctl");
  const std::string dir = TestTempDir("keelctl");
  std::ofstream(dir + "/good.yaml") << Dr("reviews", "ROUND_ROBIN");
  std::ofstream(dir + "/bad.yaml") << Vs("reviews", "eighty", "20");

  absl::StatusOr<CommandResult> bad =
      RunToCompletion(keelctl, {"validate", "-f", dir + "/bad.yaml"});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->exit.status, 1);
  EXPECT_EQ(bad->err,
            dir +
                "/bad.yaml:10:7: VirtualService default/reviews: spec.http[0].route[0].weight: "
                "expected integer, got \"eighty\"\n");
  absl::StatusOr<CommandResult> good =
      RunToCompletion(keelctl, {"validate", "-f", dir + "/good.yaml"});
  EXPECT_EQ(good->exit.status, 0) << good->err;
  EXPECT_EQ(good->out, "1 resources checked, 0 errors, 0 warnings\n");

  std::ofstream(dir + "/bad.yaml") << Vs("reviews", "80", "20");
  absl::StatusOr<CommandResult> analyze = RunToCompletion(keelctl, {"analyze", "-f", dir});
  EXPECT_EQ(analyze->exit.status, 1);  // reviews is not a ServiceEntry host
  EXPECT_THAT(
      analyze->err,
      HasSubstr("Error [IST0101] VirtualService default/reviews: "
                "spec.http[0].route[0].destination.host: Referenced host not found: \"reviews\""));
  EXPECT_THAT(analyze->err, Not(HasSubstr("subset")));  // v1 and v2 exist in the DestinationRule

  absl::StatusOr<CommandResult> missing =
      RunToCompletion(keelctl, {"validate", "-f", dir + "/nope.yaml"});
  EXPECT_EQ(missing->exit.status, 1);
  EXPECT_THAT(missing->err, HasSubstr("nope.yaml: no such file or directory"));
  absl::StatusOr<CommandResult> usage = RunToCompletion(keelctl, {"validate", "--bogus"});
  EXPECT_EQ(usage->exit.status, 2);

  // Several paths after one -f, as the usage line shows.
  absl::StatusOr<CommandResult> two =
      RunToCompletion(keelctl, {"validate", "-f", dir + "/good.yaml", dir + "/bad.yaml"});
  EXPECT_EQ(two->exit.status, 0) << two->err;
  EXPECT_EQ(two->out, "2 resources checked, 0 errors, 0 warnings\n");
  absl::StatusOr<CommandResult> analyze_two =
      RunToCompletion(keelctl, {"analyze", "-f", dir + "/good.yaml", dir + "/bad.yaml"});
  EXPECT_NE(analyze_two->exit.status, 2) << analyze_two->err;
  // A mesh config for the analysis: a bad one is an error naming it.
  std::ofstream(dir + "/mesh.yaml") << "defaultServiceExportTo: [\".\"]\nbogus: 1\n";
  absl::StatusOr<CommandResult> bad_mesh = RunToCompletion(
      keelctl, {"analyze", "--mesh_config=" + dir + "/mesh.yaml", "-f", dir + "/good.yaml"});
  EXPECT_EQ(bad_mesh->exit.status, 1);
  EXPECT_THAT(bad_mesh->err, HasSubstr("mesh.yaml:2:1: MeshConfig: bogus"));

  // An alias bomb is refused, and quickly: the deadline would kill a
  // keelctl that expands it.
  std::ofstream(dir + "/bomb.yaml") << mesh::testing::AliasBombYaml();
  absl::StatusOr<CommandResult> bomb =
      RunToCompletion(keelctl, {"validate", "-f", dir + "/bomb.yaml"}, absl::Seconds(20));
  ASSERT_TRUE(bomb.ok()) << bomb.status();
  EXPECT_TRUE(bomb->exit.exited) << bomb->exit.ToString();
  EXPECT_EQ(bomb->exit.status, 1);
  EXPECT_THAT(bomb->err, HasSubstr("bomb.yaml:1:1: VirtualService default/bomb: YAML aliases"));
}

// A deprecated field is a warning: printed with its file:line, counted apart,
// and the resource is accepted.
TEST(KeelctlTest, WarningsAreNotErrors) {
  const std::string dir = TestTempDir("keelctl-warn");
  std::ofstream(dir + "/fault.yaml")
      << "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {name: r}\n"
         "spec:\n  hosts: [r]\n  http:\n  - route:\n    - destination: {host: r}\n"
         "    fault:\n      abort:\n        percent: 10\n        httpStatus: 503\n";
  absl::StatusOr<CommandResult> result =
      RunToCompletion(KeelBinaryPath("keelctl"), {"validate", "-f", dir + "/fault.yaml"});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit.status, 0) << result->err;
  EXPECT_EQ(result->out, "1 resources checked, 0 errors, 1 warnings\n");
  EXPECT_EQ(result->err, dir +
                             "/fault.yaml:11:9: Warning VirtualService default/r: "
                             "spec.http[0].fault.abort.percent: HTTPRoute.fault.abort.percent is "
                             "deprecated; use HTTPRoute.fault.abort.percentage\n");
}

// Istio 1.4's Mixer samples (config.istio.io/v1alpha2) validate; the
// optimized build once crashed on them (their generated code was not linked).
TEST(KeelctlTest, ValidatesIstioMixerPolicySamples) {
  const std::string dir = mesh::testing::IstioTestdataDir() + "/mixer-policy-1.4";
  for (const std::string& file : mesh::testing::YamlFilesUnder(dir)) {
    SCOPED_TRACE(file);
    absl::StatusOr<CommandResult> result =
        RunToCompletion(KeelBinaryPath("keelctl"), {"validate", "-f", file});
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result->exit.exited) << result->exit.ToString();
    EXPECT_EQ(result->exit.status, 0) << result->err;
    EXPECT_THAT(result->out, HasSubstr(" 0 errors"));
  }
}

}  // namespace
}  // namespace keel::testing
