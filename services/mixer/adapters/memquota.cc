#include "services/mixer/adapters/memquota.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace keel::mixer {
namespace {

constexpr size_t kRememberedAnswers = 10000;
constexpr absl::Duration kRememberAnswersFor = absl::Minutes(10);

}  // namespace

absl::StatusOr<std::unique_ptr<MemQuota>> MemQuota::FromParams(const google::protobuf::Struct& params,
                                                               std::function<absl::Time()> clock) {
  std::unique_ptr<MemQuota> memquota(new MemQuota(std::move(clock)));
  absl::StatusOr<std::vector<QuotaDefinition>> quotas = ReadQuotas(params);
  if (!quotas.ok()) return quotas.status();
  memquota->quotas_ = *std::move(quotas);
  return memquota;
}

QuotaGrant MemQuota::Alloc(const InstanceValue& instance, const QuotaRequest& request) {
  std::optional<SelectedLimit> selected = SelectLimit(quotas_, instance);
  if (!selected.has_value()) return QuotaGrant{.granted = request.amount};  // not limited here
  const QuotaLimit* limit = selected->limit;
  const std::string& key = selected->key;
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
