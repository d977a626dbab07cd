// End to end: the four services and the agent as real processes on loopback.
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integration/harness/mesh.h"
#include "libs/common/grpc_health.h"
#include "libs/common/http_client.h"
#include "libs/mtls/credentials.h"

namespace keel::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

const std::vector<std::string> kServices = {"galley", "pilot", "citadel", "mixer"};

// Checks `text` with Prometheus's own parser: `promtool check metrics` exits
// 1 on a format error (and 3 on naming-lint findings, which are not errors).
void ExpectParsesAsPrometheusText(const std::string& component, const std::string& text) {
  absl::StatusOr<CommandResult> promtool =
      RunToCompletion("/usr/bin/promtool", {"check", "metrics"}, absl::Seconds(30), text);
  ASSERT_TRUE(promtool.ok()) << promtool.status();
  EXPECT_TRUE(promtool->exit.exited) << promtool->exit.ToString();
  EXPECT_NE(promtool->exit.status, 1) << component << ": " << promtool->err;
  EXPECT_THAT(promtool->err + promtool->out, Not(HasSubstr("parsing error"))) << component;
}

// Every page `service`'s /debug index lists answers without a server error
// (a page that needs parameters says so with a 4xx), and the process lives
// on: Galley's /debug/configz once crashed a replica without folders.
void ExpectEveryDebugPageAnswers(RunningService& service) {
  absl::StatusOr<HttpResponse> index = HttpGet(service.monitoring_address(), "/debug");
  ASSERT_TRUE(index.ok()) << index.status();
  ASSERT_EQ(index->status, 200);
  int pages = 0;
  for (absl::string_view line : absl::StrSplit(index->body, '\n')) {
    const absl::string_view path = absl::StripAsciiWhitespace(line);
    if (!absl::StartsWith(path, "/debug/")) continue;
    absl::StatusOr<HttpResponse> page = HttpGet(service.monitoring_address(), std::string(path));
    ASSERT_TRUE(page.ok()) << path << ": " << page.status();
    EXPECT_LT(page->status, 500) << path << ": " << page->body;
    ++pages;
  }
  // Mixer and the agent have none of their own.
  if (service.component() != "mixer" && service.component() != "keel-agent") EXPECT_GT(pages, 0);
  EXPECT_TRUE(service.process().Running()) << service.process().Log();
}

class FoundationTest : public MeshTest {};

TEST_F(FoundationTest, FourServicesStartServeHealthAndMetricsAndStopCleanly) {
  std::vector<RunningService*> running;
  std::string galley_address;
  for (const std::string& component : kServices) {
    std::vector<std::string> args;
    if (component == "galley") args.push_back("--config_dir=" + RunfilePath("samples"));
    if (component == "pilot" || component == "mixer")
      args.push_back("--galley_address=" + galley_address);
    absl::StatusOr<RunningService*> service = mesh().Start(component, args);
    ASSERT_TRUE(service.ok()) << service.status();
    if (component == "galley") galley_address = (*service)->grpc_address();
    running.push_back(*service);
  }
  absl::StatusOr<RunningService*> agent = mesh().StartAgent(*running[2], "default", "echo");
  ASSERT_TRUE(agent.ok()) << agent.status();
  running.push_back(*agent);

  for (RunningService* service : running) {
    ASSERT_TRUE(service->WaitReady().ok()) << service->component();
    SCOPED_TRACE(service->component());
    absl::StatusOr<HttpResponse> healthz = HttpGet(service->monitoring_address(), "/healthz");
    ASSERT_TRUE(healthz.ok()) << healthz.status();
    EXPECT_EQ(healthz->status, 200);
    if (!service->grpc_address().empty()) {
      EXPECT_TRUE(CheckGrpcHealth(service->grpc_address(), service->grpc_credentials()).ok());
    }

    absl::StatusOr<HttpResponse> metrics = HttpGet(service->monitoring_address(), "/metrics");
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    EXPECT_EQ(metrics->status, 200);
    EXPECT_THAT(metrics->content_type, HasSubstr("text/plain; version=0.0.4"));
    EXPECT_THAT(metrics->body, HasSubstr("component=\"" + service->component() + "\""));
    EXPECT_THAT(metrics->body, HasSubstr("process_resident_memory_bytes "));
    EXPECT_THAT(metrics->body, HasSubstr("process_cpu_seconds_total "));
    ExpectParsesAsPrometheusText(service->component(), metrics->body);
    ExpectEveryDebugPageAnswers(*service);
  }

  // SIGTERM: each exits 0 (MeshTest also checks this for anything left).
  for (RunningService* service : running) {
    ExitInfo exit = service->Stop();
    EXPECT_TRUE(exit.exited && exit.status == 0) << service->component() << ": " << exit.ToString();
    EXPECT_THAT(service->process().Log(), HasSubstr("stopped cleanly"));
  }
}

// The one-process mode's pages: Pilot's at their paths, the others' under
// /debug/<service>/.
TEST_F(FoundationTest, TheOneProcessModeAnswersEveryDebugPage) {
  absl::StatusOr<RunningService*> keel =
      mesh().Start("keel", {"--config_dir=" + RunfilePath("samples"), "--ca_dir=" + TestTempDir("ca")});
  ASSERT_TRUE(keel.ok()) << keel.status();
  ASSERT_TRUE((*keel)->WaitReady().ok()) << (*keel)->process().Log();
  ExpectEveryDebugPageAnswers(**keel);
}

TEST_F(FoundationTest, GalleyRefusesAMissingConfigDirectory) {
  absl::StatusOr<RunningService*> galley =
      mesh().Start("galley", {"--config_dir=/nonexistent/keel-config"});
  ASSERT_TRUE(galley.ok());
  absl::StatusOr<ExitInfo> exit = (*galley)->process().Wait(absl::Seconds(10));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->status, 1);
  EXPECT_THAT((*galley)->process().Log(),
              HasSubstr("--config_dir /nonexistent/keel-config: not a readable directory"));
  (*galley)->Stop();
}

// The command-line contract every binary keeps.
class BinaryContractTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BinaryContractTest, HelpVersionAndBadFlags) {
  const std::string binary = KeelBinaryPath(GetParam());

  absl::StatusOr<CommandResult> help = RunToCompletion(binary, {"--help"});
  ASSERT_TRUE(help.ok()) << help.status();
  EXPECT_EQ(help->exit.status, 0) << help->err;
  EXPECT_THAT(help->out, HasSubstr("--version"));

  absl::StatusOr<CommandResult> version = RunToCompletion(binary, {"--version"});
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->exit.status, 0);
  EXPECT_THAT(version->out,
              MatchesRegex(GetParam() + " version [0-9]+\\.[0-9]+\\.[0-9]+ \\(commit [^)]+\\)\n"));

  absl::StatusOr<CommandResult> unknown = RunToCompletion(binary, {"--no_such_flag=1"});
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->exit.status, 2);
  EXPECT_EQ(unknown->err, GetParam() + ": unknown flag --no_such_flag (see --help)\n");

  absl::StatusOr<CommandResult> bad_value = RunToCompletion(binary, {"--log_level=loud"});
  ASSERT_TRUE(bad_value.ok());
  EXPECT_EQ(bad_value->exit.status, 2);
  EXPECT_THAT(bad_value->err, HasSubstr("unknown level \"loud\""));
  std::vector<std::string> lines = absl::StrSplit(bad_value->err, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 1u) << bad_value->err;
}

INSTANTIATE_TEST_SUITE_P(AllBinaries, BinaryContractTest,
                         ::testing::Values("galley", "pilot", "citadel", "mixer", "keel-agent",
                                           "keelctl"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

class BusyPortTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BusyPortTest, ABusyPortIsAClearErrorAndNonZeroExit) {
  Mesh mesh;
  std::vector<std::string> args;
  if (GetParam() == "pilot" || GetParam() == "mixer") {
    // Pilot and Mixer are ready only once they hold Galley's configuration.
    absl::StatusOr<RunningService*> galley = mesh.Start("galley");
    ASSERT_TRUE(galley.ok());
    args.push_back("--galley_address=" + (*galley)->grpc_address());
  }
  absl::StatusOr<RunningService*> first;
  if (GetParam() == "keel-agent") {
    // The agent is ready once it holds a certificate: it needs a Citadel.
    absl::StatusOr<RunningService*> citadel = mesh.Start("citadel");
    ASSERT_TRUE(citadel.ok());
    ASSERT_TRUE((*citadel)->WaitReady().ok());
    first = mesh.StartAgent(**citadel, "default", "busy");
  } else {
    first = mesh.Start(GetParam(), args);
  }
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE((*first)->WaitReady().ok()) << (*first)->process().Log();
  for (const std::string& flag : {std::string("--grpc_address=") + (*first)->grpc_address(),
                                  "--monitoring_address=" + (*first)->monitoring_address()}) {
    if (flag == "--grpc_address=") continue;  // the agent has no gRPC server
    std::vector<std::string> second_args = args;
    second_args.push_back("--monitoring_address=127.0.0.1:0");
    if (GetParam() != "keel-agent") second_args.push_back("--grpc_address=127.0.0.1:0");
    if (GetParam() != "keel-agent" && GetParam() != "citadel") {
      second_args.push_back("--insecure_plaintext");
    }
    second_args.push_back(flag);  // the later flag wins: the busy port
    absl::StatusOr<CommandResult> second =
        RunToCompletion(KeelBinaryPath(GetParam()), second_args, absl::Seconds(20));
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_EQ(second->exit.status, 1);
    EXPECT_THAT(second->err, HasSubstr("cannot listen on 127.0.0.1:"));
    EXPECT_THAT(second->err, HasSubstr(": Address already in use"));
  }
  EXPECT_TRUE(mesh.StopAll().empty());
}

INSTANTIATE_TEST_SUITE_P(AllServices, BusyPortTest,
                         ::testing::Values("galley", "pilot", "citadel", "mixer", "keel-agent"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// Each service started with no address flags listens where its flag help
// says: Istio's default ports on every interface (":PORT", the form the Helm
// chart passes). Pilot, with no address flag, finds Galley at its default.
// The control plane's one required choice is its transport: started with
// neither --tls_cert_dir nor --insecure_plaintext, each says so and exits.
TEST(DefaultAddressesTest, EveryServiceStartsOnItsDefaultPorts) {
  constexpr uint16_t kMonitoring = 15014;
  struct Case {
    std::string component;
    uint16_t grpc_port;  // 0: no gRPC server
    uint16_t monitoring_port;
  };
  // Galley first, on its default gRPC port, with its monitoring port moved
  // aside so that Pilot can then run with no flags at all.
  const std::string dir = TestTempDir("defaults");
  for (const char* component : {"galley", "pilot", "mixer", "keel"}) {
    absl::StatusOr<CommandResult> refused = RunToCompletion(KeelBinaryPath(component), {});
    ASSERT_TRUE(refused.ok()) << component << ": " << refused.status();
    EXPECT_EQ(refused->exit.status, 2) << component;
    EXPECT_THAT(refused->err, HasSubstr("give --tls_cert_dir (a keel-agent's certificate folder), "
                                        "or --insecure_plaintext"))
        << component;
  }
  absl::StatusOr<ChildProcess> galley_process = ChildProcess::Start(
      KeelBinaryPath("galley"),
      {"--monitoring_address=127.0.0.1:0", "--ports_file=" + dir + "/galley.ports",
       "--insecure_plaintext"},
      dir + "/galley.log");
  ASSERT_TRUE(galley_process.ok());
  absl::StatusOr<PortsFile> ports = WaitForPortsFile(dir + "/galley.ports", *galley_process);
  ASSERT_TRUE(ports.ok()) << ports.status();
  EXPECT_EQ(ports->grpc_port, 9901);
  RunningService galley("galley", *std::move(galley_process), 9901, ports->monitoring_port);
  ASSERT_TRUE(galley.WaitReady().ok()) << galley.process().Log();
  auto start = [&](const Case& c, const std::vector<std::string>& args) {
    absl::StatusOr<ChildProcess> process =
        ChildProcess::Start(KeelBinaryPath(c.component), args, dir + "/" + c.component + ".log");
    EXPECT_TRUE(process.ok());
    return std::make_unique<RunningService>(c.component, *std::move(process), c.grpc_port,
                                            c.monitoring_port);
  };
  auto stop = [](RunningService& service) {
    ExitInfo exit = service.Stop();
    EXPECT_TRUE(exit.exited && exit.status == 0) << service.component() << ": " << exit.ToString();
  };
  for (const Case& c : std::vector<Case>{{"pilot", 15010, kMonitoring}, {"mixer", 9091, kMonitoring}}) {
    SCOPED_TRACE(c.component);
    std::unique_ptr<RunningService> service = start(c, {"--insecure_plaintext"});
    EXPECT_TRUE(service->WaitReady().ok()) << service->process().Log();
    stop(*service);
  }
  // Citadel keeps its CA in a folder (no default: the chart gives one);
  // the agent, on Istio's agent port, finds Citadel at its default address.
  std::unique_ptr<RunningService> citadel =
      start({"citadel", 8060, kMonitoring},
            {"--ca_dir=" + dir + "/ca", "--serving_dir=" + dir + "/serving"});
  citadel->set_grpc_credentials(
      mtls::ChannelCredentialsFromFiles(mtls::TlsFiles{.roots = dir + "/serving/root-cert.pem"}));
  ASSERT_TRUE(citadel->WaitReady().ok()) << citadel->process().Log();
  absl::StatusOr<CommandResult> token = RunToCompletion(
      KeelBinaryPath("citadel"), {"--ca_dir=" + dir + "/ca", "issue-token", "default", "echo"});
  ASSERT_TRUE(token.ok() && token->exit.status == 0);
  std::ofstream(dir + "/token") << token->out;
  std::unique_ptr<RunningService> agent =
      start({"keel-agent", 0, 15020},
            {"--citadel_root_file=" + dir + "/serving/root-cert.pem", "--token_file=" + dir + "/token",
             "--cert_dir=" + dir + "/certs"});
  EXPECT_TRUE(agent->WaitReady().ok()) << agent->process().Log();
  stop(*agent);
  stop(*citadel);
  ExitInfo exit = galley.Stop();
  EXPECT_TRUE(exit.exited && exit.status == 0) << exit.ToString();
}

// Every binary's flags by the file that declares them, from --helpfull.
std::map<std::string, std::set<std::string>> FlagsByFile(const std::string& component) {
  absl::StatusOr<CommandResult> help = RunToCompletion(KeelBinaryPath(component), {"--helpfull"});
  EXPECT_TRUE(help.ok()) << help.status();
  std::map<std::string, std::set<std::string>> flags;
  if (!help.ok()) return flags;
  std::string file;
  for (absl::string_view line : absl::StrSplit(help->out + help->err, '\n')) {
    absl::string_view text = absl::StripLeadingAsciiWhitespace(line);
    if (absl::ConsumePrefix(&text, "Flags from ")) {
      file = std::string(absl::StripSuffix(text, ":"));
    } else if (absl::ConsumePrefix(&text, "--")) {
      flags[file].insert(std::string(text.substr(0, text.find(' '))));
    }
  }
  return flags;
}

// Each service's flags are declared once, in its flags library, and keel,
// which hosts all four, accepts every one of them (it lacked 15 of them
// before). Only the binaries' own addresses (in their main.cc) differ.
TEST(FlagsTest, KeelAcceptsEveryFlagOfTheServicesItHosts) {
  std::set<std::string> keel;
  for (const auto& [file, names] : FlagsByFile("keel")) keel.insert(names.begin(), names.end());
  ASSERT_GT(keel.size(), 40u);
  for (const std::string component : {"galley", "pilot", "citadel", "mixer"}) {
    SCOPED_TRACE(component);
    int checked = 0;
    for (const auto& [file, names] : FlagsByFile(component)) {
      if (absl::EndsWith(file, "/main.cc")) continue;  // the binary's own addresses
      for (const std::string& name : names) {
        EXPECT_EQ(keel.count(name), 1u) << "--" << name << " (" << file << ")";
        ++checked;
      }
    }
    EXPECT_GT(checked, 5);
  }
}

}  // namespace
}  // namespace keel::testing
