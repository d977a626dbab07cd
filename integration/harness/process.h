// A child process for integration tests: started with its output captured in
// a log file, stopped with SIGTERM and reaped with its exit status.
#ifndef KEEL_INTEGRATION_HARNESS_PROCESS_H_
#define KEEL_INTEGRATION_HARNESS_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace keel::testing {

// How a process ended.
struct ExitInfo {
  bool exited = false;  // exited normally (status valid)
  int status = -1;      // exit status if exited
  int signal = 0;       // terminating signal otherwise
  std::string ToString() const;
};

class ChildProcess {
 public:
  // Start runs `binary` with `args`, stdout and stderr appended to
  // `log_path`, or stderr to `stderr_path` when that is given.
  static absl::StatusOr<ChildProcess> Start(const std::string& binary,
                                            const std::vector<std::string>& args,
                                            const std::string& log_path,
                                            const std::string& stderr_path = "",
                                            const std::vector<std::string>& extra_env = {});

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  // Kills the process (SIGKILL) if it is still running.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // Log returns everything the process has written so far.
  std::string Log() const;

  // Running reports whether the process has not exited yet (reaping it if so).
  bool Running();

  // Terminate sends SIGTERM and waits up to `timeout` for the exit, then
  // sends SIGKILL. Returns how the process ended.
  ExitInfo Terminate(absl::Duration timeout = absl::Seconds(10));

  // Wait waits up to `timeout` for the process to exit by itself. Returns
  // DeadlineExceeded if it is still running.
  absl::StatusOr<ExitInfo> Wait(absl::Duration timeout);

 private:
  ChildProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}

  pid_t pid_ = -1;
  std::string log_path_;
  bool reaped_ = false;
  ExitInfo exit_;
};

// WaitForLog waits up to `timeout` until `process` has logged `text`; false
// if it did not (or exited first).
bool WaitForLog(ChildProcess& process, const std::string& text, absl::Duration timeout);

// What a process has used so far, from /proc.
struct ProcessUsage {
  double cpu_seconds = 0;  // user + system
  double peak_rss_mb = 0;
  double rss_mb = 0;  // resident now
};
ProcessUsage ReadProcessUsage(pid_t pid);

// RunToCompletion runs a command, waits for it (up to `timeout`) and returns
// its exit info together with what it printed.
struct CommandResult {
  ExitInfo exit;
  std::string out;  // stdout
  std::string err;  // stderr
};
// `extra_env` entries are "NAME=value", added to this process's environment
// (replacing a variable of the same name).
absl::StatusOr<CommandResult> RunToCompletion(const std::string& binary,
                                              const std::vector<std::string>& args,
                                              absl::Duration timeout = absl::Seconds(60),
                                              const std::string& stdin_text = "",
                                              const std::vector<std::string>& extra_env = {});

}  // namespace keel::testing

#endif  // KEEL_INTEGRATION_HARNESS_PROCESS_H_
