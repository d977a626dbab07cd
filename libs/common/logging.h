// Leveled logging to stderr for every Keel binary, through spdlog.
//
// Log with spdlog's functions once InitLogging has run:
//
//   spdlog::info("loaded {} resources from {}", count, dir);
//
// Text lines look like `2026-11-25T18:40:01.123Z info pilot: message`; with
// --log_format=json each line is one JSON object with the keys time, level,
// component and msg.
#ifndef KEEL_LIBS_COMMON_LOGGING_H_
#define KEEL_LIBS_COMMON_LOGGING_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace keel {

struct LogOptions {
  std::string format = "text";  // "text" or "json"
  std::string level = "info";   // trace, debug, info, warn, error, off
};

// LogOptionsFromFlags reads --log_format and --log_level.
LogOptions LogOptionsFromFlags();

// InitLogging installs the process's stderr logger for `component` (the binary
// name). Returns InvalidArgument for an unknown format or level.
absl::Status InitLogging(const std::string& component, const LogOptions& options);

// ClientText makes a client-supplied string fit for one log line: control
// bytes escaped, and cut after `max_bytes` with the original length noted
// (node ids and NACK messages can be megabytes).
std::string ClientText(std::string_view text, size_t max_bytes = 256);

// InitLogging also takes over gRPC core's log lines: they go to the same
// logger, and its errors (a TLS handshake that failed, a peer that sent
// garbage), which it writes once per connection, through
// ConnectionLogLimiter.

// LogRateLimiter lets through at most `per_second` lines (with a burst of as
// many) of one kind; the rest are counted, and the next line let through
// says how many were dropped. Thread-safe.
//
//   static LogRateLimiter nacks(10);
//   if (uint64_t dropped; nacks.Allow(&dropped)) spdlog::warn("... ({} not logged)", dropped);
class LogRateLimiter {
 public:
  explicit LogRateLimiter(double per_second) : per_second_(per_second), tokens_(per_second) {}

  // Allow returns whether to log now; `dropped` gets the lines suppressed
  // since the last one allowed.
  bool Allow(uint64_t* dropped);

 private:
  absl::Mutex mu_;
  const double per_second_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
};

// ConnectionLogLimiter is the one limiter that every log line written per
// connection or per request from outside goes through (gRPC's handshake
// errors, a refused CSR, a failed admission review), so that a flood of
// connections cannot flood the log: 5 lines a second with a burst of as
// many, the next line saying how many were not written.
LogRateLimiter& ConnectionLogLimiter();

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_LOGGING_H_
