#include "services/mixer/adapters/quota_config.h"

#include "absl/strings/str_cat.h"

namespace keel::mixer {
namespace {

std::string Text(const AttributeValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  if (const auto* i = std::get_if<int64_t>(&value)) return absl::StrCat(*i);
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  return "";
}

absl::StatusOr<QuotaLimit> ReadLimit(const google::protobuf::Struct& fields, const std::string& at,
                                     absl::Duration default_window) {
  QuotaLimit limit;
  auto max = fields.fields().find("maxAmount");
  if (max == fields.fields().end() || !max->second.has_number_value() ||
      max->second.number_value() < 0) {
    return absl::InvalidArgumentError(at + ".maxAmount: a non-negative number is required");
  }
  limit.max_amount = static_cast<int64_t>(max->second.number_value());
  absl::StatusOr<absl::Duration> window = DurationParam(fields, "validDuration", default_window);
  if (!window.ok()) {
    return absl::InvalidArgumentError(at + "." + std::string(window.status().message()).substr(7));
  }
  if (*window <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(at + ".validDuration: must be positive");
  }
  limit.window = *window;
  if (auto dims = fields.fields().find("dimensions"); dims != fields.fields().end()) {
    for (const auto& [key, value] : dims->second.struct_value().fields()) {
      limit.dimensions[key] = value.has_string_value() ? value.string_value()
                                                       : absl::StrCat(value.number_value());
    }
  }
  return limit;
}

}  // namespace

absl::StatusOr<std::vector<QuotaDefinition>> ReadQuotas(const google::protobuf::Struct& params) {
  std::vector<QuotaDefinition> out;
  auto quotas = params.fields().find("quotas");
  if (quotas == params.fields().end()) return out;
  int index = 0;
  for (const auto& entry : quotas->second.list_value().values()) {
    const std::string at = absl::StrCat("params.quotas[", index++, "]");
    const auto& fields = entry.struct_value();
    QuotaDefinition quota;
    auto name = fields.fields().find("name");
    if (name == fields.fields().end() || name->second.string_value().empty()) {
      return absl::InvalidArgumentError(at + ".name: required");
    }
    quota.instance = InstanceKey(name->second.string_value());
    absl::StatusOr<QuotaLimit> base = ReadLimit(fields, at, absl::Seconds(1));
    if (!base.ok()) return base.status();
    base->dimensions.clear();
    if (auto overrides = fields.fields().find("overrides"); overrides != fields.fields().end()) {
      int o = 0;
      for (const auto& override_entry : overrides->second.list_value().values()) {
        // An override without its own validDuration keeps the quota's.
        absl::StatusOr<QuotaLimit> limit = ReadLimit(
            override_entry.struct_value(), absl::StrCat(at, ".overrides[", o++, "]"), base->window);
        if (!limit.ok()) return limit.status();
        quota.limits.push_back(*std::move(limit));
      }
    }
    quota.limits.push_back(*std::move(base));
    if (auto algorithm = fields.fields().find("rateLimitAlgorithm");
        algorithm != fields.fields().end()) {
      const std::string& name = algorithm->second.string_value();
      if (name != "ROLLING_WINDOW" && name != "FIXED_WINDOW") {
        return absl::InvalidArgumentError(
            absl::StrCat(at, ".rateLimitAlgorithm: \"", name, "\" is not FIXED_WINDOW or ROLLING_WINDOW"));
      }
      quota.rolling_window = name == "ROLLING_WINDOW";
    }
    absl::StatusOr<absl::Duration> bucket =
        DurationParam(fields, "bucketDuration", quota.limits.back().window / 10);
    if (!bucket.ok()) {
      return absl::InvalidArgumentError(at + "." + std::string(bucket.status().message()).substr(7));
    }
    if (*bucket <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(at + ".bucketDuration: must be positive");
    }
    quota.bucket = *bucket;
    out.push_back(std::move(quota));
  }
  return out;
}

std::optional<SelectedLimit> SelectLimit(const std::vector<QuotaDefinition>& quotas,
                                         const InstanceValue& instance) {
  const QuotaDefinition* quota = nullptr;
  for (const QuotaDefinition& candidate : quotas) {
    if (candidate.instance == instance.name) quota = &candidate;
  }
  if (quota == nullptr) return std::nullopt;
  std::map<std::string, std::string> dimensions;
  for (const auto& [field, value] : instance.fields) {
    if (field.rfind("dimensions.", 0) == 0) dimensions[field.substr(11)] = Text(value);
  }
  SelectedLimit selected{.quota = quota, .limit = &quota->limits.back(), .key = quota->instance};
  for (const QuotaLimit& candidate : quota->limits) {
    bool matches = !candidate.dimensions.empty();
    for (const auto& [key, value] : candidate.dimensions) {
      auto it = dimensions.find(key);
      matches &= it != dimensions.end() && it->second == value;
    }
    if (matches) {
      selected.limit = &candidate;
      break;
    }
  }
  for (const auto& [k, v] : dimensions) absl::StrAppend(&selected.key, "|", k, "=", v);
  return selected;
}

}  // namespace keel::mixer
