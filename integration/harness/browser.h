// HeadlessBrowser drives Debian's headless Chromium through the DevTools
// protocol (a WebSocket, Boost.Beast), for tests of the web console: load a
// page, evaluate JavaScript in it, wait for a condition, take screenshots,
// and collect every JavaScript error the page raised.
//
//   auto browser = HeadlessBrowser::Launch();
//   ASSERT_TRUE((*browser)->Navigate("http://127.0.0.1:15014/console").ok());
//   absl::StatusOr<std::string> title = (*browser)->Evaluate("document.title");
#ifndef KEEL_INTEGRATION_HARNESS_BROWSER_H_
#define KEEL_INTEGRATION_HARNESS_BROWSER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "integration/harness/process.h"

namespace keel::testing {

class HeadlessBrowser {
 public:
  // Launch starts Chromium (/usr/bin/chromium) with a fresh profile and
  // connects to its page. FailedPrecondition when Chromium is not installed.
  static absl::StatusOr<std::unique_ptr<HeadlessBrowser>> Launch();
  ~HeadlessBrowser();

  // Navigate loads `url` and waits for its load event.
  absl::Status Navigate(const std::string& url);
  // Evaluate runs `expression` in the page (awaiting a promise) and returns
  // its value as a string (JSON.stringify'd unless already a string).
  absl::StatusOr<std::string> Evaluate(const std::string& expression);
  // WaitFor evaluates `expression` until it is true or `timeout` passes.
  bool WaitFor(const std::string& expression, absl::Duration timeout);
  // Screenshot writes a PNG of the page to `path`.
  absl::Status Screenshot(const std::string& path);
  // The JavaScript errors (uncaught exceptions, console.error) seen so far.
  std::vector<std::string> JavaScriptErrors() const { return errors_; }

 private:
  class Connection;
  HeadlessBrowser(ChildProcess chromium, std::string profile, std::unique_ptr<Connection> connection);
  // Call sends one DevTools command and returns its result (JSON).
  absl::StatusOr<std::string> Call(const std::string& method, const std::string& params_json,
                                   absl::Duration timeout = absl::Seconds(30));

  ChildProcess chromium_;
  std::string profile_;
  std::unique_ptr<Connection> connection_;
  int next_id_ = 1;
  std::vector<std::string> errors_;
  bool loaded_ = false;  // a Page.loadEventFired seen since the last Navigate
};

// ScreenshotPath is where a test output file goes (Bazel keeps
// TEST_UNDECLARED_OUTPUTS_DIR's files with the test's logs).
std::string TestOutputPath(const std::string& name);

}  // namespace keel::testing

#endif  // KEEL_INTEGRATION_HARNESS_BROWSER_H_
