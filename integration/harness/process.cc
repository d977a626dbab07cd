#include "integration/harness/process.h"

#include <string_view>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace keel::testing {
namespace {

ExitInfo FromWaitStatus(int wait_status) {
  ExitInfo info;
  if (WIFEXITED(wait_status)) {
    info.exited = true;
    info.status = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    info.signal = WTERMSIG(wait_status);
  }
  return info;
}

std::string TempPath(const std::string& stem) {
  static std::atomic<int> counter{0};
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", stem, ".", getpid(), ".", counter++);
}

}  // namespace

std::string ExitInfo::ToString() const {
  if (exited) return absl::StrCat("exit status ", status);
  if (signal != 0) return absl::StrCat("killed by signal ", signal, " (", strsignal(signal), ")");
  return "still running";
}

absl::StatusOr<ChildProcess> ChildProcess::Start(const std::string& binary,
                                                 const std::vector<std::string>& args,
                                                 const std::string& log_path,
                                                 const std::string& stderr_path,
                                                 const std::vector<std::string>& extra_env) {
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(absl::StrCat("open ", log_path, ": ", std::strerror(errno)));
  }
  int err_fd = stderr_path.empty()
                   ? log_fd
                   : open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (err_fd < 0) {
    close(log_fd);
    return absl::InternalError(absl::StrCat("open ", stderr_path, ": ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, log_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  // The test may block SIGTERM/SIGINT (ShutdownSignal); children start clean.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  // extra_env replaces inherited variables of the same name (the first of
  // two is the one getenv sees).
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view inherited(*e);
    const std::string_view name = inherited.substr(0, inherited.find('='));
    bool replaced = false;
    for (const std::string& given : extra_env) {
      replaced |= given.size() > name.size() && given.compare(0, name.size(), name) == 0 &&
                  given[name.size()] == '=';
    }
    if (!replaced) envp.push_back(*e);
  }
  for (const std::string& e : extra_env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, binary.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(log_fd);
  if (err_fd != log_fd) close(err_fd);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("spawn ", binary, ": ", std::strerror(rc)));
  }
  return ChildProcess(pid, log_path);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept { *this = std::move(other); }

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  std::swap(pid_, other.pid_);
  std::swap(log_path_, other.log_path_);
  std::swap(reaped_, other.reaped_);
  std::swap(exit_, other.exit_);
  return *this;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string ChildProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool ChildProcess::Running() {
  if (reaped_) return false;
  int wait_status = 0;
  if (waitpid(pid_, &wait_status, WNOHANG) == pid_) {
    reaped_ = true;
    exit_ = FromWaitStatus(wait_status);
    return false;
  }
  return true;
}

absl::StatusOr<ExitInfo> ChildProcess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (Running()) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("pid ", pid_, " still running after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return exit_;
}

ExitInfo ChildProcess::Terminate(absl::Duration timeout) {
  if (!Running()) return exit_;
  kill(pid_, SIGTERM);
  absl::StatusOr<ExitInfo> exit = Wait(timeout);
  if (exit.ok()) return *exit;
  kill(pid_, SIGKILL);
  return *Wait(absl::Seconds(5));
}

absl::StatusOr<CommandResult> RunToCompletion(const std::string& binary,
                                              const std::vector<std::string>& args,
                                              absl::Duration timeout, const std::string& stdin_text,
                                              const std::vector<std::string>& extra_env) {
  const std::string log_path = TempPath("command-stdout");
  const std::string err_path = TempPath("command-stderr");
  std::vector<std::string> full_args = args;
  std::string actual_binary = binary;
  if (!stdin_text.empty()) {
    // Feed stdin through a file: sh -c 'exec "$0" "$@" < file'.
    const std::string input_path = TempPath("command-input");
    std::ofstream(input_path) << stdin_text;
    full_args.insert(full_args.begin(), {"-c", "exec \"$0\" \"$@\" < " + input_path, binary});
    actual_binary = "/bin/sh";
  }
  absl::StatusOr<ChildProcess> child =
      ChildProcess::Start(actual_binary, full_args, log_path, err_path, extra_env);
  if (!child.ok()) return child.status();
  absl::StatusOr<ExitInfo> exit = child->Wait(timeout);
  if (!exit.ok()) {
    child->Terminate(absl::Seconds(1));
    return exit.status();
  }
  std::ifstream err_in(err_path);
  std::stringstream err_text;
  err_text << err_in.rdbuf();
  CommandResult result{*exit, child->Log(), err_text.str()};
  unlink(log_path.c_str());
  unlink(err_path.c_str());
  return result;
}

bool WaitForLog(ChildProcess& process, const std::string& text, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (process.Log().find(text) != std::string::npos) return true;
    if (!process.Running()) return process.Log().find(text) != std::string::npos;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

ProcessUsage ReadProcessUsage(pid_t pid) {
  ProcessUsage usage;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (absl::StartsWith(line, "VmHWM:")) usage.peak_rss_mb = std::stod(line.substr(6)) / 1024.0;
    if (absl::StartsWith(line, "VmRSS:")) usage.rss_mb = std::stod(line.substr(6)) / 1024.0;
  }
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  const std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t paren = all.rfind(')');
  if (paren == std::string::npos) return usage;
  // After "pid (comm) ": state is field 0, utime field 11, stime field 12.
  std::vector<std::string> fields = absl::StrSplit(all.substr(paren + 2), ' ');
  if (fields.size() > 12) {
    usage.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) / sysconf(_SC_CLK_TCK);
  }
  return usage;
}

}  // namespace keel::testing
