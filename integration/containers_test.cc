// Keel's images and its chart as containers: the images are built from this
// build's binaries by the project's own image script, each runs its binary
// as a non-root user with no shell, and the chart rendered by Helm runs
// under `podman kube play` as separate hosts on a private network (split
// mode and istiod mode), its probes answered as the kubelet would ask them,
// and each container draining on SIGTERM and exiting 0.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>

#include "absl/strings/str_replace.h"

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "envoy/config/route/v3/route.pb.h"
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
    // And keel/etcd, from Debian's etcd as scripts/images.sh makes it,
    // tagged with etcd's version: the chart's bundled etcd names it.
    absl::StatusOr<CommandResult> etcd = RunToCompletion("/usr/bin/etcd", {"--version"});
    ASSERT_TRUE(etcd.ok() && etcd->exit.status == 0);
    const size_t v = etcd->out.find("etcd Version: ");
    ASSERT_NE(v, std::string::npos);
    const std::string etcd_version = etcd->out.substr(v + 14, etcd->out.find('\n', v) - v - 14);
    absl::StatusOr<std::string> values = ReadWholeFile(RunfilePath("helm/keel/values.yaml"));
    ASSERT_TRUE(values.ok());
    ASSERT_THAT(*values, HasSubstr("image: keel/etcd:" + etcd_version + "\n"));
    std::vector<std::string> specs = ImageSpecs();
    specs.push_back(absl::StrCat("etcd:", etcd_version, "=/usr/bin/etcd"));
    absl::StatusOr<std::string> built = host_->BuildImages(*version_, specs, *archives_);
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
  static ChartPods Render(const std::vector<std::string>& sets,
                          const std::string& namespace_name = kNamespace) {
    absl::StatusOr<std::string> rendered = HelmTemplate(RunfilePath("helm/keel"), namespace_name, sets);
    EXPECT_TRUE(rendered.ok()) << rendered.status();
    absl::StatusOr<ChartPods> pods = ChartPods::Parse(rendered.ok() ? *rendered : "", namespace_name);
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

// The README's demo as containers, each pod its own host on the test's
// network: Citadel, Galley (reading the demo's config files), Pilot and
// Mixer with their keel-agents and mTLS between them, as the chart's
// default has it, and the chart's `workloads`: two echo servers and the
// client, each beside its keel-agent, the echo traffic mutual TLS. The
// client's split follows an edit of Galley's mounted config.
TEST_F(ContainersTest, TheDemoRunsAsContainersWithMutualTls) {
  constexpr char kRelease[] = "default";
  const std::string citadel_ip = host().Address(10), galley_ip = host().Address(11),
                    pilot_ip = host().Address(12), mixer_ip = host().Address(13),
                    v1_ip = host().Address(20), v2_ip = host().Address(21), client_ip = host().Address(22);
  // The workloads, as a user writes them in the chart's values.
  const std::string values_file = TestTempDir("demo") + "/values.yaml";
  {
    std::ofstream values(values_file);
    for (const auto& [version, ip] : {std::pair{"v1", v1_ip}, std::pair{"v2", v2_ip}}) {
      values << (version == std::string("v1") ? "workloads:\n" : "") << "- name: echo-" << version
             << "\n  image: keel/echo-server:" << *version_ << "\n  serviceAccount: echo\n"
             << "  labels: {version: " << version << "}\n"
             << "  args: [--xds, --address=" << ip << ":7070, --app_version=" << version << "]\n";
    }
    values << "- name: client\n  image: keel/echo-client:" << *version_ << "\n  serviceAccount: client\n"
           << "  args: [--target=xds:///echo.default.svc.cluster.local:7070, --duration=10m, "
              "--report_every=1s, --rpc_timeout=2s]\n";
  }
  // Where the echo servers are, as the demo's echo-workloads.yaml says it
  // for loopback.
  const std::string workloads_file = TestTempDir("demo") + "/echo-workloads.yaml";
  {
    std::ofstream workloads(workloads_file);
    for (const auto& [version, ip] : {std::pair{"v1", v1_ip}, std::pair{"v2", v2_ip}}) {
      workloads << "---\napiVersion: networking.istio.io/v1alpha3\nkind: WorkloadEntry\nmetadata:\n"
                << "  name: echo-" << version << "\n  namespace: default\nspec:\n  address: " << ip
                << "\n  ports: {grpc: 7070}\n  labels: {app: echo, version: " << version
                << "}\n  serviceAccount: echo\n";
    }
  }
  // Certificates of 40 s, renewed at about 20 s: a Citadel outage below
  // falls on renewals.
  std::vector<std::string> sets = {
      "mode=split", "agent.certTtl=40s", "--values", values_file,
      "--set-file", "configFiles.echo\\.yaml=" + RunfilePath("samples/echo.yaml"),
      "--set-file", "configFiles.echo-mtls\\.yaml=" + RunfilePath("samples/echo-mtls.yaml"),
      "--set-file", "configFiles.echo-workloads\\.yaml=" + workloads_file};
  const std::map<std::string, std::string> ip_of = {
      {"keel-citadel", citadel_ip}, {"keel-galley", galley_ip}, {"keel-pilot", pilot_ip},
      {"keel-mixer", mixer_ip},     {"echo-v1", v1_ip},         {"echo-v2", v2_ip},
      {"client", client_ip}};

  // Citadel first: the others' tokens and root come from it.
  ChartPods first = Render(sets, kRelease);
  for (const auto& [deployment, ip] : ip_of) first.Assign(deployment, ip);
  absl::StatusOr<std::string> citadel_yaml = first.PodYaml("keel-citadel");
  ASSERT_TRUE(citadel_yaml.ok()) << citadel_yaml.status();
  ASSERT_TRUE(host().Play(*citadel_yaml, citadel_ip).ok());
  ASSERT_TRUE(WaitReady(first, "keel-citadel", "citadel"));
  const std::string citadel = ChartPods::ContainerName("keel-citadel", "citadel");
  // What an operator does (docs/citadel.md): a bootstrap token Secret per
  // service account, and Citadel's root for the agents.
  std::string secrets;
  for (const std::string account : {"keel-galley", "keel-pilot", "keel-mixer", "echo", "client"}) {
    CommandResult token = host().Podman({"exec", citadel, "/usr/local/bin/citadel",
                                         "--ca_dir=/var/lib/keel/ca", "issue-token", kRelease, account});
    ASSERT_EQ(token.exit.status, 0) << token.err;
    absl::StrAppend(&secrets, "---\napiVersion: v1\nkind: Secret\nmetadata: {name: keel-token-", account,
                    "}\nstringData: {token: \"", absl::StripTrailingAsciiWhitespace(token.out), "\"}\n");
  }
  const std::string root_file = TestTempDir("demo") + "/root-cert.pem";
  CommandResult copied = host().Podman({"cp", citadel + ":/var/run/keel/serving/root-cert.pem", root_file});
  ASSERT_EQ(copied.exit.status, 0) << copied.err;
  sets.insert(sets.end(), {"--set-file", "agent.caRootCert=" + root_file});
  ChartPods chart = Render(sets, kRelease);
  ASSERT_TRUE(chart.Add(secrets).ok());
  for (const auto& [deployment, ip] : ip_of) chart.Assign(deployment, ip);

  // The control plane, then the workloads.
  for (const std::string deployment : {"keel-galley", "keel-pilot", "keel-mixer", "echo-v1", "echo-v2", "client"}) {
    absl::StatusOr<std::string> yaml = chart.PodYaml(deployment);
    ASSERT_TRUE(yaml.ok()) << yaml.status();
    const absl::Status played = host().Play(*yaml, ip_of.at(deployment));
    ASSERT_TRUE(played.ok()) << played;
    if (absl::StartsWith(deployment, "keel-")) {
      const std::string component = deployment.substr(5);
      ASSERT_TRUE(WaitReady(chart, deployment, "keel-agent"));
      ASSERT_TRUE(WaitReady(chart, deployment, component));
    }
  }
  // podman 4.3 runs no postStart hook, so it starts the application beside
  // keel-agent at once, before the bootstrap exists. The kubelet would
  // start it after the agent's hook (keel-agent wait) returned: once the
  // agent is ready, the application is started again, as it would have been.
  for (const std::string workload : {"echo-v1", "echo-v2", "client"}) {
    ASSERT_TRUE(WaitReady(chart, workload, "keel-agent"));
    CommandResult restarted = host().Podman({"restart", ChartPods::ContainerName(workload, workload)});
    ASSERT_EQ(restarted.exit.status, 0) << restarted.err;
  }
  // The client's last `n` one-second reports, as "v1=…" counts summed.
  const std::string client = ChartPods::ContainerName("client", "client");
  auto recent = [&](int n) {
    std::map<std::string, int> sum;
    const std::string log = host().Podman({"logs", client}).out;
    std::vector<std::string> lines;
    for (absl::string_view line : absl::StrSplit(log, '\n')) {
      if (absl::StartsWith(line, "t=")) lines.emplace_back(line);
    }
    for (size_t i = lines.size() > static_cast<size_t>(n) ? lines.size() - n : 0; i < lines.size(); ++i) {
      for (absl::string_view part : absl::StrSplit(lines[i], ' ')) {
        std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
        int count = 0;
        if (absl::SimpleAtoi(kv.second, &count)) sum[kv.first] += count;
      }
    }
    sum["reports"] = std::min<int>(n, lines.size());
    return sum;
  };
  auto describe = [&] {
    return absl::StrCat(host().Podman({"logs", client}).out.substr(0, 3000), "\n",
                        host().Podman({"logs", client}).err.substr(0, 3000), "\nagent:\n",
                        host().Podman({"logs", ChartPods::ContainerName("client", "keel-agent")}).err.substr(0, 3000),
                        "\necho-v1:\n", host().Podman({"logs", ChartPods::ContainerName("echo-v1", "echo-v1")}).err.substr(0, 3000));
  };
  // 80/20 over mTLS: five reports in a row with calls to both and no error.
  ASSERT_TRUE(Eventually(
      [&] {
        std::map<std::string, int> last = recent(5);
        return last["reports"] == 5 && last["errors"] == 0 && last["v1"] > last["v2"] && last["v2"] > 0;
      },
      absl::Seconds(90)))
      << describe();
  // The servers require mTLS: a plaintext call straight to echo-v1 fails.
  CommandResult plain = host().Podman(
      {"run", "--rm", "--network", host().network(), absl::StrCat("localhost/keel/echo-client:", *version_),
       absl::StrCat("--target=", v1_ip, ":7070"), "--count=1", "--rpc_timeout=2s", "--wait_ready=3s"});
  EXPECT_THAT(plain.out, HasSubstr("errors=1")) << plain.out << plain.err;

  // An edit of the mounted config: everything to v2.
  CommandResult volume = host().Podman({"volume", "inspect", "keel-istio-config", "--format", "{{.Mountpoint}}"});
  ASSERT_EQ(volume.exit.status, 0) << volume.err;
  const std::string echo_yaml = std::string(absl::StripTrailingAsciiWhitespace(volume.out)) + "/echo.yaml";
  absl::StatusOr<std::string> config = ReadWholeFile(echo_yaml);
  ASSERT_TRUE(config.ok()) << config.status();
  std::string edited = absl::StrReplaceAll(*config, {{"weight: 80", "weight: 0"}, {"weight: 20", "weight: 100"}});
  ASSERT_NE(edited, *config);
  ASSERT_TRUE(WriteFileAtomically(echo_yaml, edited, 0644).ok());
  const absl::Time edited_at = absl::Now();
  EXPECT_TRUE(Eventually(
      [&] {
        std::map<std::string, int> last = recent(3);
        return last["reports"] == 3 && last["v1"] == 0 && last["v2"] > 0 && last["errors"] == 0;
      },
      absl::Seconds(60), absl::Milliseconds(100)))
      << describe();
  std::cout << "MEASURED an edit of the mounted config reached the client (three clean reports) in "
            << absl::FormatDuration(absl::Now() - edited_at) << std::endl;
  // Edits Galley's mounted echo.yaml to weigh v1 `v1` and v2 `100 - v1`;
  // returns how long until three reports in a row follow it with no error.
  int weight_v1 = 0;
  auto reweigh = [&](int v1) -> absl::Duration {
    absl::StatusOr<std::string> now = ReadWholeFile(echo_yaml);
    if (!now.ok()) return absl::InfiniteDuration();
    std::string text = absl::StrReplaceAll(
        *now, {{absl::StrCat("weight: ", weight_v1, "\n"), absl::StrCat("weight: ", v1, "\n")},
               {absl::StrCat("weight: ", 100 - weight_v1, "\n"), absl::StrCat("weight: ", 100 - v1, "\n")}});
    weight_v1 = v1;
    const absl::Time start = absl::Now();
    if (!WriteFileAtomically(echo_yaml, text, 0644).ok()) return absl::InfiniteDuration();
    const bool followed = Eventually(
        [&] {
          // The last three reports' share of v1, within 10 points.
          std::map<std::string, int> last = recent(3);
          const int answered = last["v1"] + last["v2"];
          return last["reports"] == 3 && last["errors"] == 0 && answered > 0 &&
                 std::abs(100.0 * last["v1"] / answered - v1) <= 10;
        },
        absl::Seconds(60), absl::Milliseconds(100));
    return followed ? absl::Now() - start : absl::InfiniteDuration();
  };
  // Calls made and failed by the client from now until `until` holds.
  auto calls_while = [&](const std::function<bool()>& until) {
    const std::string before = host().Podman({"logs", client}).out;
    const size_t seen = std::count(before.begin(), before.end(), '\n');
    Eventually(until, absl::Seconds(90), absl::Milliseconds(200));
    const std::string after = host().Podman({"logs", client}).out;
    std::map<std::string, int> sum;
    size_t line_number = 0;
    for (absl::string_view line : absl::StrSplit(after, '\n')) {
      if (line_number++ < seen || !absl::StartsWith(line, "t=")) continue;
      for (absl::string_view part : absl::StrSplit(line, ' ')) {
        std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
        int count = 0;
        if (absl::SimpleAtoi(kv.second, &count)) sum[kv.first] += count;
      }
    }
    return sum;
  };

  // Pilot killed (SIGKILL, no drain): the client keeps its config and every
  // call succeeds while Pilot is gone and comes back; then an edit
  // reaches it again.
  const std::string pilot = ChartPods::ContainerName("keel-pilot", "pilot");
  const std::string pilot_ready = chart.ProbeUrl("keel-pilot", "pilot", "readinessProbe");
  ASSERT_EQ(host().Podman({"kill", pilot}).exit.status, 0);
  const absl::Time killed = absl::Now();
  std::map<std::string, int> during = calls_while([&] {
    // Gone for 5 s at least (the pod's restart policy may start it sooner).
    if (absl::Now() - killed < absl::Seconds(5)) {
      if (host().State(pilot).rfind("running", 0) == 0) host().Podman({"kill", pilot});
      return false;
    }
    if (host().State(pilot).rfind("running", 0) != 0) host().Podman({"start", pilot});
    return HttpStatus(pilot_ready) == 200;
  });
  EXPECT_GT(during["total"], 0);
  EXPECT_EQ(during["errors"], 0) << describe();
  const absl::Duration after_pilot = reweigh(40);
  EXPECT_LT(after_pilot, absl::Seconds(60)) << describe();
  std::cout << "MEASURED pilot killed and back: " << during["total"] << " calls, " << during["errors"]
            << " failed; an edit then reached the client in " << absl::FormatDuration(after_pilot) << std::endl;

  // Galley paused (a hung host: its connections open, nothing answers)
  // for longer than keepalive (10 s + 5 s): Pilot keeps serving its last
  // config, no call fails, and once Galley resumes an edit flows again.
  const std::string galley = ChartPods::ContainerName("keel-galley", "galley");
  ASSERT_EQ(host().Podman({"pause", galley}).exit.status, 0);
  const absl::Time paused = absl::Now();
  during = calls_while([&] { return absl::Now() - paused > absl::Seconds(25); });
  EXPECT_EQ(HttpStatus(pilot_ready), 200);
  ASSERT_EQ(host().Podman({"unpause", galley}).exit.status, 0);
  EXPECT_GT(during["total"], 0);
  EXPECT_EQ(during["errors"], 0) << describe();
  const absl::Duration after_galley = reweigh(80);
  EXPECT_LT(after_galley, absl::Seconds(60)) << describe();
  std::cout << "MEASURED galley paused 25 s: " << during["total"] << " calls, " << during["errors"]
            << " failed; an edit after it resumed reached the client in " << absl::FormatDuration(after_galley)
            << std::endl;

  // Citadel killed while the workloads' certificates come up for renewal:
  // each agent keeps its valid certificate and retries; no call fails, and
  // once Citadel is back the agents renew.
  const std::string client_agent = ChartPods::ContainerName("client", "keel-agent");
  auto issued = [&] {
    const std::string log = host().Podman({"logs", client_agent}).err;
    int n = 0;
    for (size_t at = log.find("certificate for"); at != std::string::npos; at = log.find("certificate for", at + 1)) ++n;
    return n;
  };
  const int before_renewal = issued();
  ASSERT_TRUE(Eventually([&] { return issued() > before_renewal; }, absl::Seconds(30)))
      << host().Podman({"logs", client_agent}).err;
  const absl::Time renewed = absl::Now();  // the next renewal is due about 20 s from here
  // A timed wait on purpose: the fault is placed in the agent's schedule
  // (8 s before its renewal is due), which no condition announces.
  absl::SleepFor(absl::Seconds(12) - (absl::Now() - renewed));
  const std::string citadel_ready = first.ProbeUrl("keel-citadel", "citadel", "readinessProbe");
  ASSERT_EQ(host().Podman({"kill", citadel}).exit.status, 0);
  const int at_kill = issued();
  during = calls_while([&] {
    // Down until 24 s after the last renewal (it expires at 40 s).
    if (absl::Now() - renewed < absl::Seconds(24)) {
      if (host().State(citadel).rfind("running", 0) == 0) host().Podman({"kill", citadel});
      return false;
    }
    if (host().State(citadel).rfind("running", 0) != 0) host().Podman({"start", citadel});
    return HttpStatus(citadel_ready) == 200;
  });
  // The renewal was due (about 20 s after the last) while Citadel was
  // down. The attempt either failed (logged, then retried) or was still
  // connecting when Citadel came back; either way the agent kept its valid
  // certificate, and the next one was issued by the Citadel started again,
  // before the old one expired (40 s).
  const absl::Time back = absl::Now();
  EXPECT_TRUE(Eventually([&] { return issued() > at_kill; }, absl::Seconds(15)))
      << host().Podman({"logs", client_agent}).err << "\ncitadel:\n" << host().Podman({"logs", citadel}).err;
  const absl::Duration renewal_after = absl::Now() - back;
  EXPECT_LT(absl::Now() - renewed, absl::Seconds(40)) << host().Podman({"logs", client_agent}).err;
  // Timestamps of the last line holding `text` (the logs' RFC 3339 UTC
  // times compare as text).
  auto last_time = [&](const std::string& container, const std::string& text) {
    const std::string log = host().Podman({"logs", container}).err;
    const size_t at = log.rfind(text);
    if (at == std::string::npos) return std::string();
    const size_t line = log.rfind('\n', at);
    return log.substr(line == std::string::npos ? 0 : line + 1, 24);
  };
  EXPECT_GT(last_time(client_agent, "certificate for"), last_time(citadel, "citadel started"))
      << host().Podman({"logs", client_agent}).err << "\ncitadel:\n" << host().Podman({"logs", citadel}).err;
  const bool failed_logged =
      absl::StrContains(host().Podman({"logs", client_agent}).err, "renewing the certificate failed");
  std::map<std::string, int> since = calls_while([&] { return absl::Now() - back > absl::Seconds(5); });
  EXPECT_GT(during["total"], 0);
  EXPECT_EQ(during["errors"] + since["errors"], 0) << describe();
  std::cout << "MEASURED citadel down 12 s over a renewal: " << during["total"] + since["total"] << " calls, "
            << during["errors"] + since["errors"] << " failed; the client's agent renewed "
            << absl::FormatDuration(renewal_after) << " after Citadel was ready again"
            << (failed_logged ? " (a failed attempt logged meanwhile)" : " (its attempt outlasted the outage)")
            << std::endl;

  // SIGTERM to every container: each exits 0.
  for (const std::string workload : {"client", "echo-v1", "echo-v2"}) {
    SCOPED_TRACE(workload);
    ExpectCleanStop(ChartPods::ContainerName(workload, "keel-agent"));
  }
  for (const std::string component : {"pilot", "mixer", "galley", "citadel"}) {
    SCOPED_TRACE(component);
    ExpectCleanStop(ChartPods::ContainerName("keel-" + component, component));
  }
}

// The weights of the route to echo a client holds, "v1/v2" ("" if none).
std::string EchoWeights(const xds::AdsClient& client) {
  for (const auto& [name, resource] : client.Resources(xds::kRouteType)) {
    envoy::config::route::v3::RouteConfiguration route;
    if (!resource->body.UnpackTo(&route)) continue;
    for (const auto& host : route.virtual_hosts()) {
      for (const auto& r : host.routes()) {
        if (!r.route().has_weighted_clusters()) continue;
        std::vector<std::string> weights;
        for (const auto& c : r.route().weighted_clusters().clusters()) {
          weights.push_back(absl::StrCat(c.weight().value()));
        }
        return absl::StrJoin(weights, "/");
      }
    }
  }
  return "";
}

// The chart's bundled etcd (three members, each its own host) under
// Galley (the config files kept in etcd) and Citadel. One member cut off:
// quorum holds, an edit is accepted and reaches Pilot. Two cut off: quorum
// is lost, Galley goes not ready and keeps serving its last config, Pilot
// keeps serving; once the network returns, the edit made meanwhile lands.
TEST_F(ContainersTest, EtcdPartitionsKeepOrLoseQuorumAndLoseNoAcceptedConfig) {
  ChartPods chart = Render({"global.controlPlaneMtls=false", "mode=split", "etcd.mode=bundled",
                            "--set-file", "configFiles.echo\\.yaml=" + RunfilePath("samples/echo.yaml"),
                            "--set-file",
                            "configFiles.echo-workloads\\.yaml=" + RunfilePath("samples/echo-workloads.yaml")});
  const std::map<std::string, int> hosts = {{"keel-etcd-0", 30}, {"keel-etcd-1", 31}, {"keel-etcd-2", 32},
                                            {"keel-citadel", 10}, {"keel-galley", 11}, {"keel-pilot", 12},
                                            {"keel-mixer", 13}};
  ASSERT_EQ(chart.Deployments().size(), hosts.size());
  for (const auto& [deployment, n] : hosts) chart.Assign(deployment, host().Address(n));
  for (const std::string deployment : {"keel-etcd-0", "keel-etcd-1", "keel-etcd-2", "keel-citadel",
                                       "keel-galley", "keel-pilot", "keel-mixer"}) {
    absl::StatusOr<std::string> yaml = chart.PodYaml(deployment);
    ASSERT_TRUE(yaml.ok()) << yaml.status();
    const absl::Status played = host().Play(*yaml, host().Address(hosts.at(deployment)));
    ASSERT_TRUE(played.ok()) << played;
  }
  for (const std::string member : {"keel-etcd-0", "keel-etcd-1", "keel-etcd-2"}) {
    ASSERT_TRUE(WaitReady(chart, member, "etcd"));
  }
  for (const std::string component : {"citadel", "galley", "pilot", "mixer"}) {
    ASSERT_TRUE(WaitReady(chart, "keel-" + component, component));
  }
  xds::AdsClientOptions options;
  options.server_address = host().Address(hosts.at("keel-pilot")) + ":15010";
  options.node.set_id("sidecar~10.0.0.9~client.default~default.svc.cluster.local");
  xds::AdsClient client(options, nullptr);
  client.Subscribe(xds::kRouteType, {"echo.default.svc.cluster.local:7070"});
  client.Start();
  auto weights_become = [&](const std::string& want) {
    return client.WaitUntil([&](const xds::AdsClient& c) { return EchoWeights(c) == want; }, absl::Seconds(60));
  };
  ASSERT_TRUE(weights_become("80/20")) << EchoWeights(client);
  CommandResult volume = host().Podman({"volume", "inspect", "keel-istio-config", "--format", "{{.Mountpoint}}"});
  ASSERT_EQ(volume.exit.status, 0) << volume.err;
  const std::string echo_yaml = std::string(absl::StripTrailingAsciiWhitespace(volume.out)) + "/echo.yaml";
  auto reweigh = [&](const std::string& from_v1, const std::string& from_v2, const std::string& v1,
                     const std::string& v2) {
    absl::StatusOr<std::string> text = ReadWholeFile(echo_yaml);
    ASSERT_TRUE(text.ok());
    ASSERT_TRUE(WriteFileAtomically(echo_yaml,
                                    absl::StrReplaceAll(*text, {{"weight: " + from_v1 + "\n", "weight: " + v1 + "\n"},
                                                                {"weight: " + from_v2 + "\n", "weight: " + v2 + "\n"}}),
                                    0644)
                    .ok());
  };
  const std::string galley_ready = chart.ProbeUrl("keel-galley", "galley", "readinessProbe");
  const std::string pilot_ready = chart.ProbeUrl("keel-pilot", "pilot", "readinessProbe");
  const std::string galley = ChartPods::ContainerName("keel-galley", "galley");

  // One member cut off: quorum (2 of 3) holds.
  ASSERT_TRUE(host().Disconnect(ChartPods::PodName("keel-etcd-2")).ok());
  absl::Time start = absl::Now();
  reweigh("80", "20", "40", "60");
  EXPECT_TRUE(weights_become("40/60")) << EchoWeights(client) << host().Podman({"logs", galley}).err;
  std::cout << "MEASURED one etcd member partitioned: an edit reached Pilot's client in "
            << absl::FormatDuration(absl::Now() - start) << std::endl;
  EXPECT_EQ(HttpStatus(galley_ready), 200);

  // A second one: quorum lost. Galley cannot keep the edit, says so by
  // going not ready, and keeps serving the last config; so does Pilot.
  ASSERT_TRUE(host().Disconnect(ChartPods::PodName("keel-etcd-1")).ok());
  start = absl::Now();
  reweigh("40", "60", "10", "90");
  EXPECT_TRUE(Eventually([&] { return HttpStatus(galley_ready) == 503; }, absl::Seconds(60)))
      << host().Podman({"logs", galley}).err;
  const absl::Duration to_not_ready = absl::Now() - start;
  EXPECT_EQ(HttpStatus(pilot_ready), 200);
  EXPECT_EQ(EchoWeights(client), "40/60");
  // The network returns: quorum, Galley ready, and the edit lands.
  ASSERT_TRUE(host().Reconnect(ChartPods::PodName("keel-etcd-1"), host().Address(hosts.at("keel-etcd-1"))).ok());
  ASSERT_TRUE(host().Reconnect(ChartPods::PodName("keel-etcd-2"), host().Address(hosts.at("keel-etcd-2"))).ok());
  start = absl::Now();
  EXPECT_TRUE(Eventually([&] { return HttpStatus(galley_ready) == 200; }, absl::Seconds(90)))
      << host().Podman({"logs", galley}).err;
  EXPECT_TRUE(weights_become("10/90")) << EchoWeights(client) << host().Podman({"logs", galley}).err;
  std::cout << "MEASURED two etcd members partitioned: Galley not ready " << absl::FormatDuration(to_not_ready)
            << " after an edit; with the network back, the edit reached Pilot's client in "
            << absl::FormatDuration(absl::Now() - start) << std::endl;
  client.Stop();
}

}  // namespace
}  // namespace keel::testing
