// stdio: log entries as one JSON object a line, to stdout, stderr or a file.
//   params: {outputAsJson: true, logStream: STDOUT | STDERR | FILE, outputPath: /var/log/x.log}
// Each logentry instance becomes {"level", "time", "instance", ...variables}.
#include <cmath>
#include <cstdio>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "libs/common/json_writer.h"
#include "services/mixer/adapters/adapter.h"

namespace keel::mixer {
namespace {

void WriteValue(const AttributeValue& value, JsonWriter& json) {
  if (const auto* s = std::get_if<std::string>(&value)) {
    json.String(*s);
  } else if (const auto* i = std::get_if<int64_t>(&value)) {
    json.Raw(absl::StrCat(*i));
  } else if (const auto* d = std::get_if<double>(&value)) {
    if (std::isfinite(*d)) {
      json.Raw(absl::StrCat(*d));
    } else {
      json.String(absl::StrCat(*d));  // JSON has no inf or nan
    }
  } else if (const auto* b = std::get_if<bool>(&value)) {
    json.Bool(*b);
  } else if (const auto* t = std::get_if<absl::Time>(&value)) {
    json.String(absl::FormatTime(absl::RFC3339_full, *t, absl::UTCTimeZone()));
  } else if (const auto* d = std::get_if<absl::Duration>(&value)) {
    json.String(absl::FormatDuration(*d));
  } else if (const auto* map = std::get_if<StringMap>(&value)) {
    json.BeginObject();
    for (const auto& [k, v] : *map) json.Key(k).String(v);
    json.EndObject();
  } else {
    json.String("");
  }
}

class Stdio : public ReportAdapter {
 public:
  ~Stdio() override {
    if (owned_ != nullptr) std::fclose(owned_);
  }

  void Report(const std::vector<InstanceValue>& instances) override {
    for (const InstanceValue& instance : instances) {
      if (instance.template_name != "logentry") continue;
      JsonWriter json;
      json.BeginObject();
      auto severity = instance.fields.find("severity");
      json.Key("level");
      if (severity != instance.fields.end()) {
        WriteValue(severity->second, json);
      } else {
        json.String("info");
      }
      json.Key("time");
      auto time = instance.fields.find("timestamp");
      if (time != instance.fields.end()) {
        WriteValue(time->second, json);
      } else {
        json.String(absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone()));
      }
      json.Key("instance").String(instance.name);
      for (const auto& [field, value] : instance.fields) {
        if (field.rfind("variables.", 0) != 0) continue;
        json.Key(field.substr(10));
        WriteValue(value, json);
      }
      json.EndObject();
      const std::string line = json.Take() + "\n";
      absl::MutexLock lock(&mu_);
      std::fwrite(line.data(), 1, line.size(), out_);
      std::fflush(out_);
    }
  }

  absl::Mutex mu_;
  FILE* out_ = stdout;
  FILE* owned_ = nullptr;
};

absl::StatusOr<std::unique_ptr<ReportAdapter>> NewStdio(const google::protobuf::Struct& params,
                                                        prometheus::Registry&) {
  auto stdio = std::make_unique<Stdio>();
  const auto& fields = params.fields();
  std::string stream = "STDOUT";
  if (auto it = fields.find("logStream"); it != fields.end()) stream = it->second.string_value();
  if (stream == "STDERR") {
    stdio->out_ = stderr;
  } else if (stream == "FILE") {
    auto path = fields.find("outputPath");
    if (path == fields.end() || path->second.string_value().empty()) {
      return absl::InvalidArgumentError("params.outputPath: required with logStream FILE");
    }
    stdio->owned_ = std::fopen(path->second.string_value().c_str(), "a");
    if (stdio->owned_ == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("params.outputPath: cannot open ", path->second.string_value()));
    }
    stdio->out_ = stdio->owned_;
  } else if (stream != "STDOUT") {
    return absl::InvalidArgumentError(
        absl::StrCat("params.logStream: \"", stream, "\" is not STDOUT, STDERR or FILE"));
  }
  return stdio;
}

KEEL_REGISTER_REPORT_ADAPTER("stdio", NewStdio);

}  // namespace
}  // namespace keel::mixer
