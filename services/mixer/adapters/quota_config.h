// The quota params memquota and redisquota share (Istio 1.4's): each quota
// names an instance, a maximum per validDuration, and overrides for
// instances whose dimensions match.
//   quotas: [{name: requestcountquota.instance.istio-system, maxAmount: 500,
//             validDuration: 1s, bucketDuration: 500ms,
//             rateLimitAlgorithm: ROLLING_WINDOW,
//             overrides: [{dimensions: {destination: reviews}, maxAmount: 1}]}]
#ifndef KEEL_SERVICES_MIXER_ADAPTERS_QUOTA_CONFIG_H_
#define KEEL_SERVICES_MIXER_ADAPTERS_QUOTA_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "services/mixer/adapters/adapter.h"

namespace keel::mixer {

struct QuotaLimit {
  std::map<std::string, std::string> dimensions;  // empty: the quota's default
  int64_t max_amount = 0;
  absl::Duration window = absl::Seconds(1);
};

struct QuotaDefinition {
  std::string instance;          // "namespace/name"
  std::vector<QuotaLimit> limits;  // overrides in order, then the default
  bool rolling_window = true;    // redisquota's rateLimitAlgorithm
  absl::Duration bucket;         // redisquota's bucketDuration (rolling windows)
};

// ReadQuotas reads params.quotas; InvalidArgument names the field.
absl::StatusOr<std::vector<QuotaDefinition>> ReadQuotas(const google::protobuf::Struct& params);

// The limit that applies to `instance` (its first matching override, else
// the default) and the key its usage is counted under (the quota and the
// instance's dimensions). Nothing when no quota names the instance.
struct SelectedLimit {
  const QuotaDefinition* quota = nullptr;
  const QuotaLimit* limit = nullptr;
  std::string key;
};
std::optional<SelectedLimit> SelectLimit(const std::vector<QuotaDefinition>& quotas,
                                         const InstanceValue& instance);

}  // namespace keel::mixer

#endif  // KEEL_SERVICES_MIXER_ADAPTERS_QUOTA_CONFIG_H_
