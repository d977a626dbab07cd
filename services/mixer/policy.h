// The policy half of Mixer: Istio 1.4 config (attributemanifest, handler,
// instance, rule) compiled into rules that Check evaluates.
#ifndef KEEL_SERVICES_MIXER_POLICY_H_
#define KEEL_SERVICES_MIXER_POLICY_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "prometheus/registry.h"
#include "libs/mesh/resource.h"
#include "libs/mixer/attributes.h"
#include "libs/mixer/expression.h"
#include "services/mixer/adapters/adapter.h"
#include "services/mixer/api_specs.h"
#include "services/mixer/quota_specs.h"

namespace keel::mixer {

class Policy {
 public:
  // Compile builds the policy from every Mixer resource. Any rule, instance
  // or handler that does not compile (an expression that does not type-check
  // against the manifests, an unknown adapter, a reference to nothing) is an
  // error naming the resource: the caller keeps the policy it had.
  static absl::StatusOr<std::shared_ptr<const Policy>> Compile(
      const std::vector<std::shared_ptr<const mesh::Resource>>& resources,
      const std::string& config_namespace);

  // Check runs every rule that matches `bag` (rules in the config namespace
  // apply to all requests, others only to their namespace's destinations)
  // and combines the adapters' answers: the first denial wins; the shortest
  // validity is kept.
  // `referenced` (when given) receives every attribute the answer depends
  // on, for a client's cache.
  CheckResult Check(const AttributeBag& bag,
                    absl::flat_hash_set<AttributeReference>* referenced = nullptr) const;

  // Report hands the instances of every matching rule to its telemetry
  // adapters.
  void Report(const AttributeBag& bag) const;

  // Quota asks the quota adapters of the matching rules whose instance is
  // named `quota` (its short name, as clients ask for it). Nothing when no
  // rule limits that quota for this request.
  std::optional<QuotaGrant> Quota(const AttributeBag& bag, const std::string& quota,
                                  const QuotaRequest& request) const;

  // Adds the API attributes HTTPAPISpecs give this request (see
  // api_specs.h), recording what they came from in `referenced`.
  void AddApiAttributes(AttributeBag& bag,
                        absl::flat_hash_set<AttributeReference>* referenced = nullptr) const {
    api_specs_.Enrich(bag, referenced);
  }

  // The quotas QuotaSpecs charge this request (see quota_specs.h).
  std::vector<QuotaCharge> SpecQuotas(const AttributeBag& bag) const { return quota_specs_.For(bag); }

  const AttributeTypes& types() const { return types_; }
  // A hash of the config it was compiled from: the same on every replica
  // given the same config, so a client's cache can tell when it changed.
  uint64_t version() const { return version_; }
  size_t rule_count() const { return rules_.size(); }
  // The telemetry adapters' metrics (istio_*), for Mixer's /metrics.
  const std::shared_ptr<prometheus::Registry>& adapter_metrics() const { return adapter_metrics_; }

 private:
  struct CompiledInstance {
    std::string name;
    std::string template_name;
    std::vector<std::pair<std::string, Expression>> fields;
  };
  struct CompiledAction {
    std::shared_ptr<const CheckAdapter> adapter;    // null: not a check adapter
    std::shared_ptr<ReportAdapter> report_adapter;  // null: not a telemetry adapter
    std::shared_ptr<QuotaAdapter> quota_adapter;    // null: not a quota adapter
    std::vector<std::shared_ptr<const CompiledInstance>> instances;
  };
  struct CompiledRule {
    std::string name;       // namespace/name
    std::string namespace_name;
    std::optional<Expression> match;  // none: always
    std::vector<CompiledAction> actions;
  };
  enum class ActionKind { kCheck, kQuota, kReport };
  // The rules that match `bag`, with the evaluated instances of each action
  // of `kind`; what was read goes to `referenced` when it is given.
  void ForEachMatchingAction(
      const AttributeBag& bag, ActionKind kind, absl::flat_hash_set<AttributeReference>* referenced,
      const std::function<void(const CompiledRule&, const CompiledAction&,
                               const std::vector<InstanceValue>&)>& use) const;

  AttributeTypes types_;
  QuotaSpecs quota_specs_;
  ApiSpecs api_specs_;
  uint64_t version_ = 0;
  std::string config_namespace_;
  std::shared_ptr<prometheus::Registry> adapter_metrics_ = std::make_shared<prometheus::Registry>();
  std::vector<CompiledRule> rules_;
};

}  // namespace keel::mixer

#endif  // KEEL_SERVICES_MIXER_POLICY_H_
