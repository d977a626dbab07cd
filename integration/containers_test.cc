// Keel's images and its chart as containers: the images are built from this
// build's binaries by the project's own image script, each runs its binary
// as a non-root user with no shell, and the chart rendered by Helm runs
// under `podman kube play` as separate hosts on a private network (split
// mode and istiod mode), its probes answered as the kubelet would ask them,
// and each container draining on SIGTERM and exiting 0.
#include <fstream>

#include "absl/strings/str_replace.h"

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integration/harness/containers.h"
#include "integration/harness/eventually.h"
#include "integration/harness/mesh.h"
#include "libs/common/files.h"
#include "libs/common/http_client.h"
#include "libs/xds/ads_client.h"
#include "libs/xds/type_urls.h"

namespace keel::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kNamespace[] = "keel-system";

// The images the project's script makes, from this test's binaries (the
// optimized build in CI), as IMAGE=BINARY.
std::vector<std::string> ImageSpecs() {
  return {"galley=" + KeelBinaryPath("galley"),
          "pilot=" + KeelBinaryPath("pilot"),
          "citadel=" + KeelBinaryPath("citadel"),
          "mixer=" + KeelBinaryPath("mixer"),
          "agent=" + KeelBinaryPath("keel-agent"),
          "keel=" + KeelBinaryPath("keel"),
          "keelctl=" + KeelBinaryPath("keelctl"),
          "echo-server=" + RunfilePath("integration/apps/echo_server"),
          "echo-client=" + RunfilePath("integration/apps/echo_client")};
}

// HTTP status of a GET of `url` ("http://ip:port/path"), 0 when nothing answers.
int HttpStatus(const std::string& url) {
  const std::string rest = url.substr(std::string("http://").size());
  const size_t slash = rest.find('/');
  absl::StatusOr<HttpResponse> response =
      HttpGet(rest.substr(0, slash), rest.substr(slash), absl::Seconds(2));
  return response.ok() ? response->status : 0;
}

class ContainersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<ContainerHost>> host = ContainerHost::Start();
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = host->release();
    // The chart's default tag is its appVersion; the binaries carry the
    // build's version: the two must agree, or the chart names images the
    // script never makes.
    absl::StatusOr<std::string> chart = ReadWholeFile(RunfilePath("helm/keel/Chart.yaml"));
    ASSERT_TRUE(chart.ok());
    const size_t at = chart->find("appVersion:");
    ASSERT_NE(at, std::string::npos);
    version_ = new std::string(absl::StripAsciiWhitespace(
        absl::StrReplaceAll(chart->substr(at + 11, chart->find('\n', at) - at - 11), {{"\"", ""}})));
    absl::StatusOr<CommandResult> stamped = RunToCompletion(KeelBinaryPath("pilot"), {"--version"});
    ASSERT_TRUE(stamped.ok());
    ASSERT_THAT(stamped->out, HasSubstr(absl::StrCat("pilot version ", *version_, " ")));
    archives_ = new std::string(TestTempDir("images"));
    absl::StatusOr<std::string> built = host_->BuildImages(*version_, ImageSpecs(), *archives_);
    ASSERT_TRUE(built.ok()) << built.status();
    built_ = new std::string(*built);
  }
  static void TearDownTestSuite() {
    delete host_;
    host_ = nullptr;
  }

  ContainerHost& host() { return *host_; }
  void TearDown() override { host_->RemovePods(); }

  // The chart as Helm renders it for `sets`, ready to play.
  static ChartPods Render(const std::vector<std::string>& sets) {
    absl::StatusOr<std::string> rendered = HelmTemplate(RunfilePath("helm/keel"), kNamespace, sets);
    EXPECT_TRUE(rendered.ok()) << rendered.status();
    absl::StatusOr<ChartPods> pods = ChartPods::Parse(rendered.ok() ? *rendered : "", kNamespace);
    EXPECT_TRUE(pods.ok()) << pods.status();
    return pods.ok() ? *std::move(pods) : ChartPods();
  }

  // Waits until the readiness probe of `deployment`'s `container` answers
  // 200; on failure, its log.
  ::testing::AssertionResult WaitReady(const ChartPods& chart, const std::string& deployment,
                                       const std::string& container) {
    const std::string url = chart.ProbeUrl(deployment, container, "readinessProbe");
    if (url.empty()) return ::testing::AssertionFailure() << deployment << " has no readiness probe";
    if (Eventually([&] { return HttpStatus(url) == 200; }, absl::Seconds(60))) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << url << " never answered 200; " << ChartPods::ContainerName(deployment, container) << ": "
           << host().State(ChartPods::ContainerName(deployment, container)) << "\n"
           << host().Podman({"logs", ChartPods::ContainerName(deployment, container)}).err;
  }

  // SIGTERM as the kubelet sends it (podman stop, 20 s grace): the
  // container's PID 1, the binary, drains and exits 0.
  void ExpectCleanStop(const std::string& container) {
    CommandResult stopped = host().Podman({"stop", "--time", "20", container});
    EXPECT_EQ(stopped.exit.status, 0) << stopped.err;
    EXPECT_EQ(host().State(container), "exited 0") << host().Podman({"logs", container}).err;
    EXPECT_THAT(host().Podman({"logs", container}).err, HasSubstr("stopped cleanly"));
  }

  static ContainerHost* host_;
  static std::string* version_;
  static std::string* archives_;
  static std::string* built_;
};

ContainerHost* ContainersTest::host_ = nullptr;
std::string* ContainersTest::version_ = nullptr;
std::string* ContainersTest::archives_ = nullptr;
std::string* ContainersTest::built_ = nullptr;

TEST_F(ContainersTest, EachImageRunsItsBinaryAsNonRootWithoutAShell) {
  for (const std::string& spec : ImageSpecs()) {
    const std::string image = spec.substr(0, spec.find('='));
    const std::string binary = spec.substr(spec.rfind('/') + 1);
    const std::string ref = absl::StrCat("localhost/keel/", image, ":", *version_);
    SCOPED_TRACE(ref);
    EXPECT_THAT(*built_, HasSubstr(ref + " "));
    // --version from the entrypoint, which is the binary.
    CommandResult version = host().Podman({"run", "--rm", ref, "--version"});
    EXPECT_EQ(version.exit.status, 0) << version.err;
    EXPECT_THAT(version.out + version.err, HasSubstr(absl::StrCat(binary, " version ", *version_)));
    // User 1337, OCI labels.
    CommandResult config = host().Podman(
        {"image", "inspect", ref, "--format",
         "{{.Config.User}}|{{index .Labels \"org.opencontainers.image.version\"}}|"
         "{{index .Labels \"org.opencontainers.image.title\"}}|{{.Config.Entrypoint}}"});
    EXPECT_EQ(absl::StripTrailingAsciiWhitespace(config.out),
              absl::StrCat("1337:1337|", *version_, "|keel-", image, "|[/usr/local/bin/", binary, "]"));
    // No shell to run.
    CommandResult shell = host().Podman({"run", "--rm", "--entrypoint", "/bin/sh", ref, "-c", "true"});
    EXPECT_NE(shell.exit.status, 0);
    // The OCI archive loads back as the same image.
    const std::string archive = absl::StrCat(*archives_, "/keel-", image, "-", *version_, ".tar");
    CommandResult loaded = host().Podman({"load", "--input", archive});
    EXPECT_EQ(loaded.exit.status, 0) << loaded.err;
  }
}

// The chart's split mode: Galley (reading the chart's config files), Pilot,
// Citadel and Mixer, each its own pod and address. Pilot is played first:
// until Galley is there its readiness probe fails, then it passes.
TEST_F(ContainersTest, TheChartsSplitModeRunsAsContainers) {
  // Galley reads the demo's echo service as the chart's config files.
  ChartPods chart = Render({"global.controlPlaneMtls=false", "mode=split",
                            "--set-file", "configFiles.echo\\.yaml=" + RunfilePath("samples/echo.yaml"),
                            "--set-file",
                            "configFiles.echo-workloads\\.yaml=" + RunfilePath("samples/echo-workloads.yaml")});
  const std::map<std::string, int> hosts = {
      {"keel-pilot", 10}, {"keel-galley", 11}, {"keel-citadel", 12}, {"keel-mixer", 13}};
  ASSERT_EQ(chart.Deployments().size(), hosts.size());
  for (const auto& [deployment, n] : hosts) chart.Assign(deployment, host().Address(n));
  for (const std::string deployment : {"keel-pilot", "keel-galley", "keel-citadel", "keel-mixer"}) {
    absl::StatusOr<std::string> yaml = chart.PodYaml(deployment);
    ASSERT_TRUE(yaml.ok()) << yaml.status();
    const absl::Status played = host().Play(*yaml, host().Address(hosts.at(deployment)));
    ASSERT_TRUE(played.ok()) << played;
    if (deployment == "keel-pilot") {
      // Alive, not ready: no config from Galley yet.
      const std::string live = chart.ProbeUrl("keel-pilot", "pilot", "livenessProbe");
      const std::string ready = chart.ProbeUrl("keel-pilot", "pilot", "readinessProbe");
      ASSERT_TRUE(Eventually([&] { return HttpStatus(live) == 200; }, absl::Seconds(30)))
          << host().Podman({"logs", ChartPods::ContainerName("keel-pilot", "pilot")}).err;
      EXPECT_EQ(HttpStatus(ready), 503);
    }
  }
  EXPECT_TRUE(WaitReady(chart, "keel-galley", "galley"));
  EXPECT_TRUE(WaitReady(chart, "keel-pilot", "pilot"));
  EXPECT_TRUE(WaitReady(chart, "keel-citadel", "citadel"));
  EXPECT_TRUE(WaitReady(chart, "keel-mixer", "mixer"));

  // A client on this machine reaches Pilot at its pod's address and gets
  // the mesh Pilot built from Galley across the network.
  xds::AdsClientOptions options;
  options.server_address = host().Address(hosts.at("keel-pilot")) + ":15010";
  options.node.set_id("sidecar~10.0.0.9~client.default~default.svc.cluster.local");
  xds::AdsClient client(options, nullptr);
  client.Subscribe(xds::kClusterType, {});
  client.Start();
  EXPECT_TRUE(client.WaitUntil(
      [](const xds::AdsClient& c) {
        return c.Resources(xds::kClusterType).count("outbound|7070|v1|echo.default.svc.cluster.local") > 0;
      },
      absl::Seconds(30)));
  client.Stop();
  // Each drains and exits 0 on SIGTERM, Pilot and Mixer before Galley.
  for (const auto& [deployment, container] :
       std::vector<std::pair<std::string, std::string>>{{"keel-pilot", "pilot"},
                                                        {"keel-mixer", "mixer"},
                                                        {"keel-galley", "galley"},
                                                        {"keel-citadel", "citadel"}}) {
    SCOPED_TRACE(deployment);
    ExpectCleanStop(ChartPods::ContainerName(deployment, container));
  }
}

// The chart's istiod mode: one pod, the `keel` image, behind every
// component's Service.
TEST_F(ContainersTest, TheChartsIstiodModeRunsAsAContainer) {
  ChartPods chart = Render({"global.controlPlaneMtls=false", "mode=istiod"});
  ASSERT_EQ(chart.Deployments(), std::vector<std::string>{"keel-istiod"});
  chart.Assign("keel-istiod", host().Address(20));
  absl::StatusOr<std::string> yaml = chart.PodYaml("keel-istiod");
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  const absl::Status played = host().Play(*yaml, host().Address(20));
  ASSERT_TRUE(played.ok()) << played;
  EXPECT_TRUE(WaitReady(chart, "keel-istiod", "istiod"));
  xds::AdsClientOptions options;
  options.server_address = host().Address(20) + ":15010";
  options.node.set_id("sidecar~10.0.0.9~client.default~default.svc.cluster.local");
  xds::AdsClient client(options, nullptr);
  client.Subscribe(xds::kClusterType, {});
  client.Start();
  EXPECT_TRUE(client.WaitUntil([](const xds::AdsClient& c) { return c.Synced(); }, absl::Seconds(30)));
  client.Stop();
  ExpectCleanStop(ChartPods::ContainerName("keel-istiod", "istiod"));
}

}  // namespace
}  // namespace keel::testing
