#include "services/mixer/adapters/memquota.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace keel::mixer {
namespace {

constexpr size_t kRememberedAnswers = 10000;
constexpr absl::Duration kRememberAnswersFor = absl::Minutes(10);

std::string Text(const AttributeValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  if (const auto* i = std::get_if<int64_t>(&value)) return absl::StrCat(*i);
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  return "";
}

absl::StatusOr<MemQuota::Limit> ReadLimit(const google::protobuf::Struct& fields,
                                          const std::string& at) {
  MemQuota::Limit limit;
  auto max = fields.fields().find("maxAmount");
  if (max == fields.fields().end() || !max->second.has_number_value() ||
      max->second.number_value() < 0) {
    return absl::InvalidArgumentError(at + ".maxAmount: a non-negative number is required");
  }
  limit.max_amount = static_cast<int64_t>(max->second.number_value());
  absl::StatusOr<absl::Duration> window = DurationParam(fields, "validDuration", absl::Seconds(1));
  if (!window.ok()) return absl::InvalidArgumentError(at + "." + std::string(window.status().message()).substr(7));
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

absl::StatusOr<std::unique_ptr<MemQuota>> MemQuota::FromParams(const google::protobuf::Struct& params,
                                                               std::function<absl::Time()> clock) {
  std::unique_ptr<MemQuota> memquota(new MemQuota(std::move(clock)));
  auto quotas = params.fields().find("quotas");
  if (quotas == params.fields().end()) return memquota;
  int index = 0;
  for (const auto& entry : quotas->second.list_value().values()) {
    const std::string at = absl::StrCat("params.quotas[", index++, "]");
    const auto& fields = entry.struct_value();
    Quota quota;
    auto name = fields.fields().find("name");
    if (name == fields.fields().end() || name->second.string_value().empty()) {
      return absl::InvalidArgumentError(at + ".name: required");
    }
    quota.instance = InstanceKey(name->second.string_value());
    if (auto overrides = fields.fields().find("overrides"); overrides != fields.fields().end()) {
      int o = 0;
      for (const auto& override_entry : overrides->second.list_value().values()) {
        absl::StatusOr<Limit> limit =
            ReadLimit(override_entry.struct_value(), absl::StrCat(at, ".overrides[", o++, "]"));
        if (!limit.ok()) return limit.status();
        quota.limits.push_back(*std::move(limit));
      }
    }
    absl::StatusOr<Limit> base = ReadLimit(fields, at);
    if (!base.ok()) return base.status();
    base->dimensions.clear();
    quota.limits.push_back(*std::move(base));
    memquota->quotas_.push_back(std::move(quota));
  }
  return memquota;
}

QuotaGrant MemQuota::Alloc(const InstanceValue& instance, const QuotaRequest& request) {
  const Quota* quota = nullptr;
  for (const Quota& candidate : quotas_) {
    if (candidate.instance == instance.name) quota = &candidate;
  }
  if (quota == nullptr) return QuotaGrant{.granted = request.amount};  // not limited here
  std::map<std::string, std::string> dimensions;
  for (const auto& [field, value] : instance.fields) {
    if (field.rfind("dimensions.", 0) == 0) dimensions[field.substr(11)] = Text(value);
  }
  // The first override whose dimensions all match, else the default.
  const Limit* limit = &quota->limits.back();
  for (const Limit& candidate : quota->limits) {
    bool matches = !candidate.dimensions.empty();
    for (const auto& [key, value] : candidate.dimensions) {
      auto it = dimensions.find(key);
      matches &= it != dimensions.end() && it->second == value;
    }
    if (matches) {
      limit = &candidate;
      break;
    }
  }
  std::string key = quota->instance;
  for (const auto& [k, v] : dimensions) absl::StrAppend(&key, "|", k, "=", v);
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  // A deduplication id answered recently gets the same answer, charged once.
  while (!answered_order_.empty() &&
         (answered_order_.front().first < now - kRememberAnswersFor ||
          answered_order_.size() > kRememberedAnswers)) {
    answered_.erase(answered_order_.front().second);
    answered_order_.pop_front();
  }
  const std::string dedup =
      request.deduplication_id.empty() ? "" : absl::StrCat(key, "#", request.deduplication_id);
  if (!dedup.empty()) {
    if (auto it = answered_.find(dedup); it != answered_.end()) return it->second;
  }
  Window& window = windows_[key];
  while (!window.charges.empty() && window.charges.front().first <= now - limit->window) {
    window.total -= window.charges.front().second;
    window.charges.pop_front();
  }
  const int64_t left = std::max<int64_t>(0, limit->max_amount - window.total);
  int64_t granted = request.amount <= left ? request.amount : (request.best_effort ? left : 0);
  if (granted > 0) {
    window.charges.emplace_back(now, granted);
    window.total += granted;
  }
  QuotaGrant grant{.granted = granted, .valid_duration = limit->window};
  if (!dedup.empty()) {
    answered_[dedup] = grant;
    answered_order_.emplace_back(now, dedup);
  }
  return grant;
}

namespace {

absl::StatusOr<std::unique_ptr<QuotaAdapter>> NewMemQuota(const google::protobuf::Struct& params) {
  absl::StatusOr<std::unique_ptr<MemQuota>> memquota = MemQuota::FromParams(params);
  if (!memquota.ok()) return memquota.status();
  return std::unique_ptr<QuotaAdapter>(*std::move(memquota));
}

KEEL_REGISTER_QUOTA_ADAPTER("memquota", NewMemQuota);

}  // namespace
}  // namespace keel::mixer
