// memquota: rate limits kept in Mixer's memory. Each quota has a maximum
// amount per validDuration (a rolling window), optionally overridden for
// instances whose dimensions match; a deduplication id answered recently is
// answered the same again without charging twice.
//
// Both tables are keyed by what callers send (dimension values, ids), so
// each is bounded in bytes: past the bound the least recently used entry is
// evicted (counted in mixer_adapter_table_evictions_total). An evicted
// window forgets its charges; the bound is set high enough that only a
// flood of new dimension values reaches it.
//   params: {quotas: [{name: requestcountquota.instance.istio-system, maxAmount: 500,
//            validDuration: 1s, overrides: [{dimensions: {destination: reviews},
//            maxAmount: 1, validDuration: 5s}]}]}
#ifndef KEEL_SERVICES_MIXER_ADAPTERS_MEMQUOTA_H_
#define KEEL_SERVICES_MIXER_ADAPTERS_MEMQUOTA_H_

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "libs/common/bounded_lru.h"
#include "services/mixer/adapters/adapter.h"
#include "services/mixer/adapters/quota_config.h"

namespace keel::mixer {

struct MemQuotaLimits {
  size_t max_window_bytes = 16 << 20;  // rolling windows, by quota and dimensions
  size_t max_answer_bytes = 8 << 20;   // answers remembered by deduplication id
  absl::Duration remember_answers_for = absl::Minutes(10);
};

class MemQuota : public QuotaAdapter {
 public:
  static absl::StatusOr<std::unique_ptr<MemQuota>> FromParams(
      const google::protobuf::Struct& params, std::function<absl::Time()> clock = absl::Now,
      MemQuotaLimits limits = {});
  ~MemQuota() override;

  QuotaGrant Alloc(const InstanceValue& instance, const QuotaRequest& request) override;

  // What the tables hold now.
  size_t window_count() const;
  size_t answer_count() const;

  // A window keeps at most this many charges: closer ones are merged, so a
  // window costs the same however many requests it counts.
  static constexpr int kChargesPerWindow = 32;

 private:
  MemQuota(std::function<absl::Time()> clock, MemQuotaLimits limits);

  struct Window {
    std::deque<std::pair<absl::Time, int64_t>> charges;
    int64_t total = 0;
    absl::Duration length;
  };
  struct Answer {
    absl::Time at;
    QuotaGrant grant;
  };
  std::function<absl::Time()> clock_;
  const MemQuotaLimits limits_;
  std::vector<QuotaDefinition> quotas_;
  mutable absl::Mutex mu_;
  BoundedLru<Window> windows_ ABSL_GUARDED_BY(mu_);  // by quota and dimensions
  BoundedLru<Answer> answered_ ABSL_GUARDED_BY(mu_);  // by quota, dimensions and id
};

}  // namespace keel::mixer

#endif  // KEEL_SERVICES_MIXER_ADAPTERS_MEMQUOTA_H_
