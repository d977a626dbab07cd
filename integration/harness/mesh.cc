#include "integration/harness/mesh.h"

#include <csignal>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/files.h"
#include "libs/common/grpc_health.h"
#include "libs/mtls/credentials.h"
#include "libs/common/http_client.h"
#include "libs/common/net.h"

namespace keel::testing {

std::string RunfilePath(const std::string& workspace_relative) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) {
    // A binary run directly (not by bazel test/run): its runfiles sit beside it.
    std::error_code error;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
    const std::string beside = exe.string() + ".runfiles/keel/" + workspace_relative;
    if (!error && std::filesystem::exists(beside)) return beside;
    return workspace_relative;
  }
  return absl::StrCat(srcdir, "/", workspace != nullptr ? workspace : "keel", "/",
                      workspace_relative);
}

std::string KeelBinaryPath(const std::string& component) {
  const std::string dir = component == "keel-agent" ? "agent" : component;
  return RunfilePath(absl::StrCat("services/", dir, "/", component));
}

uint16_t PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string TestTempDir(const std::string& stem) {
  static std::atomic<int> counter{0};
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir =
      absl::StrCat(base != nullptr ? base : "/tmp", "/", stem, "-", getpid(), "-", counter++);
  std::filesystem::create_directories(dir);
  return dir;
}

absl::StatusOr<std::string> HelmTemplate(const std::string& chart, const std::string& namespace_name,
                                         const std::vector<std::string>& sets) {
  std::vector<std::string> args = {"template", "keel", chart, "-n", namespace_name};
  bool flag_value = false;
  for (const std::string& set : sets) {
    if (absl::StartsWith(set, "--")) {
      args.push_back(set);
      flag_value = true;
    } else if (flag_value) {
      args.push_back(set);
      flag_value = false;
    } else {
      args.push_back("--set");
      args.push_back(set);
    }
  }
  const std::string home = TestTempDir("helm-home");
  absl::StatusOr<CommandResult> helm =
      RunToCompletion("/usr/local/bin/helm", args, absl::Seconds(60), "",
                      {"HOME=" + home, "XDG_CACHE_HOME=" + home, "XDG_CONFIG_HOME=" + home});
  if (!helm.ok()) return helm.status();
  if (helm->exit.status != 0) return absl::InvalidArgumentError(absl::StrCat("helm template: ", helm->err));
  return helm->out;
}

std::string RunningService::grpc_address() const {
  return grpc_port_ == 0 ? "" : JoinHostPort("127.0.0.1", grpc_port_);
}

std::string RunningService::grpc_address_of(const std::string& service) const {
  auto it = service_grpc_ports.find(service);
  return it == service_grpc_ports.end() ? "" : JoinHostPort("127.0.0.1", it->second);
}

std::string RunningService::monitoring_address() const {
  return JoinHostPort("127.0.0.1", monitoring_port_);
}

absl::Status RunningService::WaitReady(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last_problem = "no answer yet";
  while (absl::Now() < deadline) {
    if (!process_.Running()) {
      return absl::FailedPreconditionError(absl::StrCat(component_, " exited before it was ready"));
    }
    absl::StatusOr<HttpResponse> readyz =
        HttpGet(monitoring_address(), "/readyz", absl::Seconds(1));
    if (!readyz.ok()) {
      last_problem = std::string(readyz.status().message());
    } else if (readyz->status != 200) {
      last_problem = absl::StrCat("/readyz ", readyz->status, ": ", readyz->body);
    } else if (grpc_port_ != 0) {
      absl::Status health = CheckGrpcHealth(grpc_address(), grpc_credentials_, "", absl::Seconds(1));
      if (health.ok()) return absl::OkStatus();
      last_problem = std::string(health.message());
    } else {
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      component_, " not ready after ", absl::FormatDuration(timeout), ": ", last_problem));
}

ExitInfo RunningService::Stop(absl::Duration timeout) {
  if (!stopped_) {
    exit_ = process_.Terminate(timeout);
    stopped_ = true;
  }
  return exit_;
}

void RunningService::Kill() {
  if (stopped_) return;
  kill(process_.pid(), SIGKILL);
  absl::StatusOr<ExitInfo> exit = process_.Wait(absl::Seconds(10));
  if (exit.ok()) exit_ = *exit;
  stopped_ = true;
}

absl::StatusOr<PortsFile> WaitForPortsFile(const std::string& path, ChildProcess& process,
                                           absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::ifstream in(path);
    PortsFile ports;
    std::string line;
    bool complete = false;
    while (std::getline(in, line)) {
      const size_t eq = line.find('=');
      if (eq == std::string::npos) continue;
      const int value = std::atoi(line.c_str() + eq + 1);
      if (line.compare(0, eq, "grpc_port") == 0) ports.grpc_port = static_cast<uint16_t>(value);
      if (absl::EndsWith(line.substr(0, eq), "_grpc_port")) {
        ports.service_grpc_ports[line.substr(0, eq - 10)] = static_cast<uint16_t>(value);
      }
      if (line.compare(0, eq, "monitoring_port") == 0) {
        ports.monitoring_port = static_cast<uint16_t>(value);
        complete = true;  // the writer renames a whole file into place
      }
    }
    if (complete) return ports;
    if (!process.Running()) {
      return absl::FailedPreconditionError(
          absl::StrCat("exited before writing ", path, ":\n", process.Log()));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "no ports file ", path, " after ", absl::FormatDuration(timeout), ":\n", process.Log()));
}

absl::StatusOr<RunningService*> Mesh::Start(const std::string& component,
                                            const std::vector<std::string>& extra_args,
                                            uint16_t fixed_grpc_port) {
  const bool has_grpc = component != "keel-agent";
  const std::string dir = TestTempDir("run");
  const std::string ports_path = absl::StrCat(dir, "/", component, ".ports");
  // Port 0: each server binds a port the kernel picks and reports it, so no
  // other process can take a port between its choice and its bind.
  std::vector<std::string> args = {"--monitoring_address=127.0.0.1:0",
                                   "--ports_file=" + ports_path};
  if (has_grpc) args.push_back(absl::StrCat("--grpc_address=127.0.0.1:", fixed_grpc_port));
  auto given = [&](const std::string& flag) -> std::string {
    for (const std::string& arg : extra_args) {
      if (absl::StartsWith(arg, flag + "=")) return arg.substr(flag.size() + 1);
    }
    return "";
  };
  // The one-process binary's other servers bind port 0 too.
  if (component == "keel") {
    for (const char* flag : {"--galley_address", "--ca_address", "--mixer_address"}) {
      bool named = false;
      for (const std::string& arg : extra_args) named |= absl::StartsWith(arg, absl::StrCat(flag, "="));
      if (!named) args.push_back(absl::StrCat(flag, "=127.0.0.1:0"));
    }
  }
  // Citadel keeps its CA in a folder and serves TLS: unless the test names
  // them, both folders are fresh, and health checks trust its roots.
  std::string citadel_serving_dir, citadel_ca_dir;
  const bool runs_ca =
      component == "citadel" ||
      (component == "keel" &&
       std::find(extra_args.begin(), extra_args.end(), "--ca_address=") == extra_args.end());
  if (runs_ca) {
    citadel_ca_dir = given("--ca_dir");
    if (citadel_ca_dir.empty()) {
      citadel_ca_dir = dir + "/citadel-ca";
      args.push_back("--ca_dir=" + citadel_ca_dir);
    }
    citadel_serving_dir = given("--serving_dir");
    if (citadel_serving_dir.empty()) {
      citadel_serving_dir = absl::StrCat(dir, "/citadel-serving-", services_.size());
      args.push_back("--serving_dir=" + citadel_serving_dir);
    }
  }
  // The control plane serves mTLS or, said explicitly, plaintext: tests
  // that give no --tls_cert_dir run it in plaintext on loopback.
  const bool control_plane =
      component == "galley" || component == "pilot" || component == "mixer" || component == "keel";
  if (control_plane && given("--tls_cert_dir").empty() &&
      std::find(extra_args.begin(), extra_args.end(), "--insecure_plaintext") == extra_args.end()) {
    args.push_back("--insecure_plaintext");
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const std::string log_path = absl::StrCat(dir, "/", component, "-", services_.size(), ".log");
  absl::StatusOr<ChildProcess> process =
      ChildProcess::Start(KeelBinaryPath(component), args, log_path);
  if (!process.ok()) return process.status();
  absl::StatusOr<PortsFile> ports = WaitForPortsFile(ports_path, *process, absl::Seconds(30));
  if (!ports.ok()) return ports.status();
  services_.push_back(std::make_unique<RunningService>(component, *std::move(process),
                                                       ports->grpc_port, ports->monitoring_port));
  services_.back()->service_grpc_ports = ports->service_grpc_ports;
  if (!citadel_serving_dir.empty()) {
    services_.back()->citadel_ca_dir = citadel_ca_dir;
    services_.back()->citadel_serving_dir = citadel_serving_dir;
    if (component == "citadel") {
      services_.back()->set_grpc_credentials(mtls::ChannelCredentialsFromFiles(
          mtls::TlsFiles{.roots = citadel_serving_dir + "/root-cert.pem"}));
    }
  }
  return services_.back().get();
}

absl::StatusOr<RunningService*> Mesh::StartAgent(const RunningService& citadel,
                                                 const std::string& namespace_name,
                                                 const std::string& service_account,
                                                 std::vector<std::string> extra_args) {
  const std::string dir = TestTempDir("agent");
  absl::StatusOr<CommandResult> token =
      RunToCompletion(KeelBinaryPath("citadel"), {"--ca_dir=" + citadel.citadel_ca_dir,
                                                  "--token_ttl=1h", "issue-token", namespace_name,
                                                  service_account});
  if (!token.ok()) return token.status();
  if (token->exit.status != 0) {
    return absl::InternalError(absl::StrCat("citadel issue-token: ", token->err));
  }
  if (absl::Status written = WriteFileAtomically(dir + "/token", token->out, 0600);
      !written.ok()) {
    return written;
  }
  std::vector<std::string> args = {
      // "localhost": the name on Citadel's serving certificate.
      absl::StrCat("--citadel_address=localhost:",
                   (citadel.component() == "keel" ? citadel.grpc_address_of("citadel")
                                                  : citadel.grpc_address())
                       .substr(10)),
      "--citadel_root_file=" + citadel.citadel_serving_dir + "/root-cert.pem",
      "--token_file=" + dir + "/token"};
  bool has_cert_dir = false;
  for (const std::string& arg : extra_args) has_cert_dir |= absl::StartsWith(arg, "--cert_dir=");
  if (!has_cert_dir) args.push_back("--cert_dir=" + dir + "/certs");
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return Start("keel-agent", args);
}

std::vector<std::string> Mesh::StopAll() {
  std::vector<std::string> unclean;
  // Last started, first stopped: a client (Pilot, Mixer, an agent) ends its
  // streams before the server it depends on drains.
  for (auto it = services_.rbegin(); it != services_.rend(); ++it) {
    const auto& service = *it;
    const bool already_stopped = service->stopped();
    ExitInfo exit = service->Stop();
    if (!already_stopped && !(exit.exited && exit.status == 0)) {
      unclean.push_back(absl::StrCat(service->component(), ": ", exit.ToString()));
    }
  }
  return unclean;
}

void Mesh::DumpLogs(std::ostream& out) const {
  for (const auto& service : services_) {
    out << "===== log of " << service->component() << " (" << service->process().log_path()
        << ") =====\n"
        << service->process().Log() << "\n";
  }
}

void MeshTest::TearDown() {
  std::vector<std::string> unclean = mesh_.StopAll();
  for (const std::string& problem : unclean) {
    ADD_FAILURE() << "unclean shutdown: " << problem;
  }
  if (HasFailure()) mesh_.DumpLogs(std::cerr);
}

}  // namespace keel::testing
