#include "libs/common/logging.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <string_view>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "grpc/support/log.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/common/json_writer.h"
#include "spdlog/formatter.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, log_format, "text", "Log line format on stderr: text or json.");
ABSL_FLAG(std::string, log_level, "info",
          "Lowest level logged: trace, debug, info, warn, error or off.");

namespace keel {
namespace {

// Formats each record as one JSON object on its own line.
class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
    std::time_t seconds = static_cast<std::time_t>(millis / 1000);
    std::tm utc;
    gmtime_r(&seconds, &utc);
    char time_buf[32];
    std::strftime(time_buf, sizeof(time_buf), "%Y-%m-%dT%H:%M:%S", &utc);
    const auto level = spdlog::level::to_string_view(msg.level);
    std::string line = absl::StrFormat(
        "{\"time\":\"%s.%03dZ\",\"level\":\"%s\",\"component\":\"%s\",\"msg\":\"%s\"}\n", time_buf,
        static_cast<int>(millis % 1000), std::string(level.data(), level.size()),
        JsonEscape(std::string_view(msg.logger_name.data(), msg.logger_name.size())),
        JsonEscape(std::string_view(msg.payload.data(), msg.payload.size())));
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// gRPC core's lines, in the process's logger.
// Its errors (a failed handshake, a peer gone) come once per connection
// and are limited; info and debug lines appear only when someone raised
// GRPC_VERBOSITY to see them, and all of them are written.
// gRPC logs from its own threads and from static destructors, after
// spdlog's registry (and the default logger with it) may be gone: its lines
// go to a logger this holds for the life of the process.
std::atomic<spdlog::logger*> grpc_logger{nullptr};

void LogFromGrpc(gpr_log_func_args* args) {
  spdlog::logger* logger = grpc_logger.load(std::memory_order_acquire);
  if (logger == nullptr) return;
  uint64_t dropped = 0;
  if (args->severity == GPR_LOG_SEVERITY_ERROR && !ConnectionLogLimiter().Allow(&dropped)) return;
  spdlog::level::level_enum level = spdlog::level::info;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) level = spdlog::level::warn;
  if (args->severity == GPR_LOG_SEVERITY_DEBUG) level = spdlog::level::debug;
  std::string_view file = args->file == nullptr ? "" : args->file;
  if (size_t slash = file.rfind('/'); slash != std::string_view::npos) file.remove_prefix(slash + 1);
  if (dropped > 0) {
    logger->log(level, "grpc {}:{}: {} ({} connection log lines not written)", std::string(file),
                args->line, args->message == nullptr ? "" : args->message, dropped);
  } else {
    logger->log(level, "grpc {}:{}: {}", std::string(file), args->line,
                args->message == nullptr ? "" : args->message);
  }
}

}  // namespace

LogRateLimiter& ConnectionLogLimiter() {
  static LogRateLimiter* limiter = new LogRateLimiter(5);
  return *limiter;
}

LogOptions LogOptionsFromFlags() {
  return LogOptions{.format = absl::GetFlag(FLAGS_log_format),
                    .level = absl::GetFlag(FLAGS_log_level)};
}

absl::Status InitLogging(const std::string& component, const LogOptions& options) {
  const spdlog::level::level_enum level = spdlog::level::from_str(options.level);
  // from_str maps anything unknown to "off"; only "off" itself may mean that.
  if (level == spdlog::level::off && options.level != "off") {
    return absl::InvalidArgumentError(
        absl::StrCat("--log_level: unknown level \"", options.level,
                     "\" (want trace, debug, info, warn, error or off)"));
  }
  if (options.format != "text" && options.format != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat("--log_format: unknown format \"", options.format, "\" (want text or json)"));
  }
  auto logger = std::make_shared<spdlog::logger>(component,
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (options.format == "json") {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%eZ %l %n: %v", spdlog::pattern_time_type::utc));
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  // Never freed: gRPC may log during exit (see LogFromGrpc).
  grpc_logger.store(new spdlog::logger(*logger), std::memory_order_release);
  spdlog::set_default_logger(std::move(logger));
  gpr_set_log_function(LogFromGrpc);
  return absl::OkStatus();
}

std::string ClientText(std::string_view text, size_t max_bytes) {
  std::string out;
  const size_t shown = std::min(text.size(), max_bytes);
  out.reserve(shown + 32);
  for (size_t i = 0; i < shown; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (shown < text.size()) absl::StrAppend(&out, "...(", text.size(), " bytes)");
  return out;
}

bool LogRateLimiter::Allow(uint64_t* dropped) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (last_ != absl::InfinitePast()) {
    tokens_ = std::min(per_second_, tokens_ + absl::ToDoubleSeconds(now - last_) * per_second_);
  }
  last_ = now;
  if (tokens_ < 1) {
    ++dropped_;
    return false;
  }
  tokens_ -= 1;
  if (dropped != nullptr) *dropped = dropped_;
  dropped_ = 0;
  return true;
}

}  // namespace keel
