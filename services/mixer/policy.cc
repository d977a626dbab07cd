#include "services/mixer/policy.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "libs/common/stable_hash.h"
#include "libs/mixer/template_fields.h"
#include "absl/strings/str_split.h"
#include "proto/istio/policy/v1beta1/cfg.pb.h"
#include "spdlog/spdlog.h"

namespace keel::mixer {
namespace {

namespace cfg = istio::policy::v1beta1;

// Finds "name" (in `ns`), "name.namespace" or "name.kind.namespace".
template <typename T>
const T* Resolve(const std::map<std::string, T>& by_key, const std::string& reference,
                 const std::string& ns) {
  if (auto it = by_key.find(ns + "/" + reference); it != by_key.end()) return &it->second;
  std::vector<std::string> parts = absl::StrSplit(reference, '.');
  if (parts.size() >= 2) {
    if (auto it = by_key.find(parts.back() + "/" + parts.front()); it != by_key.end()) {
      return &it->second;
    }
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Policy>> Policy::Compile(
    const std::vector<std::shared_ptr<const mesh::Resource>>& resources,
    const std::string& config_namespace) {
  auto policy = std::shared_ptr<Policy>(new Policy());
  policy->config_namespace_ = config_namespace;
  std::map<std::string, const mesh::Resource*> handlers, instances, rules;
  std::map<std::string, uint64_t> content;  // by key, for the version
  for (const auto& resource : resources) {
    content[resource->Key()] = resource->ContentHash();
    const std::string key = resource->namespace_name + "/" + resource->name;
    if (const auto* manifest = resource->As(mesh::kinds::AttributeManifest)) {
      for (const auto& [name, info] : manifest->attributes()) {
        policy->types_[name] = info.value_type();
      }
    } else if (resource->Is(mesh::kinds::Handler)) {
      handlers[key] = resource.get();
    } else if (resource->Is(mesh::kinds::Instance)) {
      instances[key] = resource.get();
    } else if (resource->Is(mesh::kinds::Rule)) {
      rules[key] = resource.get();
    }
  }
  absl::StatusOr<QuotaSpecs> quota_specs = QuotaSpecs::Compile(resources);
  if (!quota_specs.ok()) return quota_specs.status();
  policy->quota_specs_ = *std::move(quota_specs);
  absl::StatusOr<ApiSpecs> api_specs = ApiSpecs::Compile(resources);
  if (!api_specs.ok()) return api_specs.status();
  policy->api_specs_ = *std::move(api_specs);
  StableHash version;
  for (const auto& [key, hash] : content) version.Add(key).Add(hash);
  policy->version_ = version.value();
  // Handlers: the check adapters.
  std::map<std::string, std::shared_ptr<const CheckAdapter>> adapters;
  std::map<std::string, std::shared_ptr<ReportAdapter>> report_adapters;
  std::map<std::string, std::shared_ptr<QuotaAdapter>> quota_adapters;
  std::map<std::string, bool> non_check;  // handlers of adapters Keel does not have
  for (const auto& [key, resource] : handlers) {
    const auto& handler = *resource->As(mesh::kinds::Handler);
    const std::string adapter =
        handler.compiled_adapter().empty() ? handler.adapter() : handler.compiled_adapter();
    absl::StatusOr<std::unique_ptr<CheckAdapter>> built = NewCheckAdapter(adapter, handler.params());
    if (built.ok()) {
      adapters[key] = *std::move(built);
      continue;
    }
    if (built.status().code() != absl::StatusCode::kNotFound) {
      return absl::InvalidArgumentError(
          absl::StrCat("handler ", key, ": ", built.status().message()));
    }
    absl::StatusOr<std::unique_ptr<QuotaAdapter>> quota = NewQuotaAdapter(adapter, handler.params());
    if (quota.ok()) {
      quota_adapters[key] = *std::move(quota);
      continue;
    }
    if (quota.status().code() != absl::StatusCode::kNotFound) {
      return absl::InvalidArgumentError(
          absl::StrCat("handler ", key, ": ", quota.status().message()));
    }
    absl::StatusOr<std::unique_ptr<ReportAdapter>> reporter =
        NewReportAdapter(adapter, handler.params(), *policy->adapter_metrics_);
    if (reporter.ok()) {
      report_adapters[key] = *std::move(reporter);
    } else if (reporter.status().code() == absl::StatusCode::kNotFound) {
      spdlog::warn("handler {}: adapter \"{}\" is not built into Keel; its rules do nothing", key,
                   adapter);
      non_check[key] = true;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("handler ", key, ": ", reporter.status().message()));
    }
  }
  // Instances: template fields compiled against the manifests.
  std::map<std::string, std::shared_ptr<const CompiledInstance>> compiled_instances;
  for (const auto& [key, resource] : instances) {
    const auto& instance = *resource->As(mesh::kinds::Instance);
    const std::string template_name =
        instance.compiled_template().empty() ? instance.template_() : instance.compiled_template();
    auto compiled = std::make_shared<CompiledInstance>();
    compiled->name = key;
    compiled->template_name = template_name;
    for (const ExpressionField& field : ExpressionFields(template_name, instance.params())) {
      absl::StatusOr<Expression> expression = CompileField(field, policy->types_);
      if (!expression.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("instance ", key, ": params.", field.field,
                                                       ": ", expression.status().message()));
      }
      compiled->fields.emplace_back(field.field, *std::move(expression));
    }
    compiled_instances[key] = std::move(compiled);
  }
  // Rules.
  for (const auto& [key, resource] : rules) {
    const auto& rule = *resource->As(mesh::kinds::Rule);
    CompiledRule compiled{.name = key, .namespace_name = resource->namespace_name};
    if (!rule.match().empty()) {
      absl::StatusOr<Expression> match = CompileField(
          {.field = "match", .text = rule.match(), .type = istio::policy::v1beta1::BOOL},
          policy->types_);
      if (!match.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("rule ", key, ": match: ", match.status().message()));
      }
      compiled.match = *std::move(match);
    }
    for (const auto& action : rule.actions()) {
      CompiledAction compiled_action;
      const auto* adapter = Resolve(adapters, action.handler(), resource->namespace_name);
      const auto* reporter = Resolve(report_adapters, action.handler(), resource->namespace_name);
      const auto* quota = Resolve(quota_adapters, action.handler(), resource->namespace_name);
      if (adapter == nullptr && reporter == nullptr && quota == nullptr &&
          Resolve(non_check, action.handler(), resource->namespace_name) == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("rule ", key, ": handler \"", action.handler(), "\" does not exist"));
      }
      if (adapter != nullptr) compiled_action.adapter = *adapter;
      if (reporter != nullptr) compiled_action.report_adapter = *reporter;
      if (quota != nullptr) compiled_action.quota_adapter = *quota;
      for (const std::string& name : action.instances()) {
        const auto* instance = Resolve(compiled_instances, name, resource->namespace_name);
        if (instance == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat("rule ", key, ": instance \"", name, "\" does not exist"));
        }
        compiled_action.instances.push_back(*instance);
      }
      compiled.actions.push_back(std::move(compiled_action));
    }
    policy->rules_.push_back(std::move(compiled));
  }
  return std::shared_ptr<const Policy>(std::move(policy));
}

void Policy::ForEachMatchingAction(
    const AttributeBag& bag, ActionKind kind, absl::flat_hash_set<AttributeReference>* referenced,
    const std::function<void(const CompiledRule&, const CompiledAction&,
                             const std::vector<InstanceValue>&)>& use) const {
  auto record = [referenced](const Expression& expression) {
    if (referenced == nullptr) return;
    referenced->insert(expression.references().begin(), expression.references().end());
  };
  auto wanted = [kind](const CompiledAction& action) {
    switch (kind) {
      case ActionKind::kCheck: return action.adapter != nullptr;
      case ActionKind::kQuota: return action.quota_adapter != nullptr;
      case ActionKind::kReport: return action.report_adapter != nullptr;
    }
    return false;
  };
  if (referenced != nullptr) referenced->insert(AttributeReference{.name = "destination.namespace"});
  std::string destination_namespace;
  if (auto it = bag.find("destination.namespace"); it != bag.end()) {
    if (const auto* ns = std::get_if<std::string>(&it->second)) destination_namespace = *ns;
  }
  for (const CompiledRule& rule : rules_) {
    if (rule.namespace_name != config_namespace_ && rule.namespace_name != destination_namespace) {
      continue;
    }
    // A rule with nothing of this kind to do is not evaluated (nor depended on).
    if (std::none_of(rule.actions.begin(), rule.actions.end(), wanted)) continue;
    if (rule.match.has_value()) {
      record(*rule.match);
      absl::StatusOr<AttributeValue> matched = rule.match->Evaluate(bag);
      // An expression that cannot be evaluated (an absent attribute) does not match.
      if (!matched.ok() || !std::get<bool>(*matched)) continue;
    }
    for (const CompiledAction& action : rule.actions) {
      if (!wanted(action)) continue;
      std::vector<InstanceValue> values;
      for (const auto& instance : action.instances) {
        InstanceValue value{.name = instance->name, .template_name = instance->template_name};
        for (const auto& [field, expression] : instance->fields) {
          record(expression);
          // A field that cannot be evaluated is left out of the instance.
          absl::StatusOr<AttributeValue> evaluated = expression.Evaluate(bag);
          if (evaluated.ok()) value.fields[field] = *std::move(evaluated);
        }
        values.push_back(std::move(value));
      }
      use(rule, action, values);
    }
  }
}

CheckResult Policy::Check(const AttributeBag& bag,
                          absl::flat_hash_set<AttributeReference>* referenced) const {
  CheckResult combined;
  ForEachMatchingAction(bag, ActionKind::kCheck, referenced, [&](const CompiledRule& rule, const CompiledAction& action,
                                 const std::vector<InstanceValue>& values) {
    if (action.adapter == nullptr) return;
    CheckResult result = action.adapter->Check(values);
    combined.valid_duration = std::min(combined.valid_duration, result.valid_duration);
    combined.valid_use_count = std::min(combined.valid_use_count, result.valid_use_count);
    if (!result.status.ok() && combined.status.ok()) {
      combined.status = result.status;
      spdlog::debug("rule {} denied: {}", rule.name, std::string(result.status.message()));
    }
  });
  return combined;
}

std::optional<QuotaGrant> Policy::Quota(const AttributeBag& bag, const std::string& quota,
                                        const QuotaRequest& request) const {
  std::optional<QuotaGrant> grant;
  ForEachMatchingAction(bag, ActionKind::kQuota, nullptr, [&](const CompiledRule&, const CompiledAction& action,
                                 const std::vector<InstanceValue>& values) {
    if (action.quota_adapter == nullptr || grant.has_value()) return;
    for (const InstanceValue& value : values) {
      const std::string short_name = value.name.substr(value.name.find('/') + 1);
      if (value.template_name != "quota" || short_name != quota) continue;
      grant = action.quota_adapter->Alloc(value, request);
      return;
    }
  });
  return grant;
}

void Policy::Report(const AttributeBag& bag) const {
  ForEachMatchingAction(bag, ActionKind::kReport, nullptr, [&](const CompiledRule&, const CompiledAction& action,
                                 const std::vector<InstanceValue>& values) {
    if (action.report_adapter != nullptr) action.report_adapter->Report(values);
  });
}

}  // namespace keel::mixer
