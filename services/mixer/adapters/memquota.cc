#include "services/mixer/adapters/memquota.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

namespace keel::mixer {
namespace {

constexpr size_t kWindowCost =
    sizeof(absl::Duration) * 2 + sizeof(std::pair<absl::Time, int64_t>) * MemQuota::kChargesPerWindow;

// A key past this length is shortened to its start and a hash of the whole
// (seeded per process, so a caller cannot aim a collision).
constexpr size_t kMaxKeyBytes = 1024;

std::string TableKey(std::string key) {
  if (key.size() <= kMaxKeyBytes) return key;
  const size_t hash = absl::Hash<std::string>{}(key);
  key.resize(kMaxKeyBytes / 2);
  absl::StrAppend(&key, "#", absl::Hex(hash));
  return key;
}

// The tables' process-wide stats, looked up once (not on every Alloc).
TableStats& WindowStats() {
  static TableStats& stats = TableStats::For("memquota_windows");
  return stats;
}
TableStats& AnswerStats() {
  static TableStats& stats = TableStats::For("memquota_deduplication");
  return stats;
}

}  // namespace

MemQuota::MemQuota(std::function<absl::Time()> clock, MemQuotaLimits limits)
    : clock_(std::move(clock)),
      limits_(limits),
      windows_(limits.max_window_bytes,
               [](BoundedLru<Window>::Entry&) {
                 WindowStats().evictions.fetch_add(1);
               }),
      answered_(limits.max_answer_bytes, [](BoundedLru<Answer>::Entry&) {
        AnswerStats().evictions.fetch_add(1);
      }) {}

MemQuota::~MemQuota() {
  absl::MutexLock lock(&mu_);
  WindowStats().entries.fetch_sub(static_cast<int64_t>(windows_.size()));
  AnswerStats().entries.fetch_sub(static_cast<int64_t>(answered_.size()));
}

absl::StatusOr<std::unique_ptr<MemQuota>> MemQuota::FromParams(const google::protobuf::Struct& params,
                                                               std::function<absl::Time()> clock,
                                                               MemQuotaLimits limits) {
  std::unique_ptr<MemQuota> memquota(new MemQuota(std::move(clock), limits));
  absl::StatusOr<std::vector<QuotaDefinition>> quotas = ReadQuotas(params);
  if (!quotas.ok()) return quotas.status();
  memquota->quotas_ = *std::move(quotas);
  return memquota;
}

size_t MemQuota::window_count() const {
  absl::MutexLock lock(&mu_);
  return windows_.size();
}

size_t MemQuota::answer_count() const {
  absl::MutexLock lock(&mu_);
  return answered_.size();
}

QuotaGrant MemQuota::Alloc(const InstanceValue& instance, const QuotaRequest& request) {
  std::optional<SelectedLimit> selected = SelectLimit(quotas_, instance);
  if (!selected.has_value()) return QuotaGrant{.granted = request.amount};  // not limited here
  const QuotaLimit* limit = selected->limit;
  const std::string key = TableKey(selected->key);
  const absl::Time now = clock_();
  TableStats& window_stats = WindowStats();
  TableStats& answer_stats = AnswerStats();
  absl::MutexLock lock(&mu_);
  // Answers past their time and windows with nothing left in them go first,
  // oldest first; they are expired, not evicted.
  while (BoundedLru<Answer>::Entry* oldest = answered_.Oldest()) {
    if (oldest->value.at >= now - limits_.remember_answers_for) break;
    answered_.Erase(oldest->key);
    answer_stats.entries.fetch_sub(1);
  }
  while (BoundedLru<Window>::Entry* oldest = windows_.Oldest()) {
    const Window& w = oldest->value;
    if (!w.charges.empty() && w.charges.back().first > now - w.length) break;
    windows_.Erase(oldest->key);
    window_stats.entries.fetch_sub(1);
  }
  // A deduplication id answered recently gets the same answer, charged once.
  const std::string dedup = request.deduplication_id.empty()
                                ? ""
                                : TableKey(absl::StrCat(selected->key, "#", request.deduplication_id));
  if (!dedup.empty()) {
    if (BoundedLru<Answer>::Entry* seen = answered_.Find(dedup)) return seen->value.grant;
  }
  const size_t windows_before = windows_.size();
  Window& window = windows_.FindOrInsert(key, kWindowCost).value;
  // Insertion may have evicted (counted by the callback): the gauge follows the size.
  window_stats.entries.fetch_add(static_cast<int64_t>(windows_.size()) -
                                 static_cast<int64_t>(windows_before));
  window.length = limit->window;
  while (!window.charges.empty() && window.charges.front().first <= now - limit->window) {
    window.total -= window.charges.front().second;
    window.charges.pop_front();
  }
  const int64_t left = std::max<int64_t>(0, limit->max_amount - window.total);
  int64_t granted = request.amount <= left ? request.amount : (request.best_effort ? left : 0);
  if (granted > 0) {
    // Charges closer than a bucket merge into the latest one: a window
    // holds at most kChargesPerWindow, whatever the request rate.
    const absl::Duration bucket = limit->window / kChargesPerWindow;
    if (!window.charges.empty() && now - window.charges.back().first < bucket) {
      window.charges.back().second += granted;
    } else {
      window.charges.emplace_back(now, granted);
    }
    window.total += granted;
  }
  QuotaGrant grant{.granted = granted, .valid_duration = limit->window};
  if (!dedup.empty()) {
    const size_t answers_before = answered_.size();
    answered_.FindOrInsert(dedup, sizeof(Answer)).value = Answer{.at = now, .grant = grant};
    answer_stats.entries.fetch_add(static_cast<int64_t>(answered_.size()) -
                                   static_cast<int64_t>(answers_before));
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
