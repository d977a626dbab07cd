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

#include "absl/status/status.h"

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

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_LOGGING_H_
