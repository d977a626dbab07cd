// memquota: rate limits kept in Mixer's memory. Each quota has a maximum
// amount per validDuration (a rolling window), optionally overridden for
// instances whose dimensions match; a deduplication id answered recently is
// answered the same again without charging twice.
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
#include "services/mixer/adapters/adapter.h"
#include "services/mixer/adapters/quota_config.h"

namespace keel::mixer {

class MemQuota : public QuotaAdapter {
 public:
  static absl::StatusOr<std::unique_ptr<MemQuota>> FromParams(
      const google::protobuf::Struct& params, std::function<absl::Time()> clock = absl::Now);

  QuotaGrant Alloc(const InstanceValue& instance, const QuotaRequest& request) override;

 private:
  explicit MemQuota(std::function<absl::Time()> clock) : clock_(std::move(clock)) {}

  struct Window {
    std::deque<std::pair<absl::Time, int64_t>> charges;
    int64_t total = 0;
  };
  std::function<absl::Time()> clock_;
  std::vector<QuotaDefinition> quotas_;
  absl::Mutex mu_;
  std::map<std::string, Window> windows_ ABSL_GUARDED_BY(mu_);  // by quota and dimensions
  // Recent answers by deduplication id, oldest first (bounded).
  std::map<std::string, QuotaGrant> answered_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<absl::Time, std::string>> answered_order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace keel::mixer

#endif  // KEEL_SERVICES_MIXER_ADAPTERS_MEMQUOTA_H_
