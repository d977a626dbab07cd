// QuotaSpecs: which quotas a request is charged without asking, from
// Istio's QuotaSpec and QuotaSpecBinding (Mixer-client config). Keel's Mixer
// applies them itself on Check, so any client (with or without
// mixerclient, with or without a list of quotas) is held to them.
//
//   QuotaSpecBinding: services [productpage.default] → QuotaSpec request-count
//   QuotaSpec request-count: rules [{match: [...], quotas: [{quota: requestcountquota, charge: 1}]}]
#ifndef KEEL_SERVICES_MIXER_QUOTA_SPECS_H_
#define KEEL_SERVICES_MIXER_QUOTA_SPECS_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/mesh/resource.h"
#include "libs/mixer/attributes.h"
#include "re2/re2.h"
#include "services/mixer/bound_services.h"

namespace keel::mixer {

struct QuotaCharge {
  std::string quota;  // the quota instance's short name
  int64_t charge = 1;
};

class QuotaSpecs {
 public:
  // Compile reads every QuotaSpec and QuotaSpecBinding; a binding naming a
  // spec that does not exist, or a regex that does not compile, is an error
  // naming the resource.
  static absl::StatusOr<QuotaSpecs> Compile(
      const std::vector<std::shared_ptr<const mesh::Resource>>& resources);

  // For is what `bag`'s request is charged: the quotas of every rule (of a
  // spec bound to its destination.service.host) whose match holds.
  std::vector<QuotaCharge> For(const AttributeBag& bag) const;
  bool empty() const { return bindings_.empty(); }

 private:
  struct Condition {
    std::string attribute;
    std::string exact, prefix;
    std::shared_ptr<const RE2> regex;
  };
  struct Rule {
    std::vector<std::vector<Condition>> any_of;  // empty: every request
    std::vector<QuotaCharge> quotas;
  };
  struct Binding {
    BoundServices services;
    std::vector<Rule> rules;
  };
  std::vector<Binding> bindings_;
};

}  // namespace keel::mixer

#endif  // KEEL_SERVICES_MIXER_QUOTA_SPECS_H_
