#include "services/mixer/quota_specs.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/istio/mixer/v1/config/client/quota.pb.h"

namespace keel::mixer {

namespace client = ::istio::mixer::v1::config::client;

absl::StatusOr<QuotaSpecs> QuotaSpecs::Compile(
    const std::vector<std::shared_ptr<const mesh::Resource>>& resources) {
  std::map<std::string, const mesh::Resource*> specs;  // by namespace/name
  std::vector<const mesh::Resource*> bindings;
  for (const auto& resource : resources) {
    if (resource->Is(mesh::kinds::QuotaSpec)) {
      specs[resource->namespace_name + "/" + resource->name] = resource.get();
    } else if (resource->Is(mesh::kinds::QuotaSpecBinding)) {
      bindings.push_back(resource.get());
    }
  }
  QuotaSpecs out;
  for (const mesh::Resource* resource : bindings) {
    const auto& binding = *resource->As(mesh::kinds::QuotaSpecBinding);
    const std::string name = absl::StrCat("QuotaSpecBinding ", resource->namespace_name, "/",
                                          resource->name);
    Binding compiled{.services = BoundServices(binding.services(), resource->namespace_name)};
    for (const auto& reference : binding.quota_specs()) {
      const std::string& ns =
          reference.namespace_().empty() ? resource->namespace_name : reference.namespace_();
      auto spec_resource = specs.find(ns + "/" + reference.name());
      if (spec_resource == specs.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ": QuotaSpec ", ns, "/", reference.name(), " does not exist"));
      }
      const auto& spec = *spec_resource->second->As(mesh::kinds::QuotaSpec);
      for (const client::QuotaRule& rule : spec.rules()) {
        Rule compiled_rule;
        for (const client::AttributeMatch& match : rule.match()) {
          std::vector<Condition> all_of;
          for (const auto& [attribute, string_match] : match.clause()) {
            Condition condition{.attribute = attribute};
            switch (string_match.match_type_case()) {
              case client::StringMatch::kExact: condition.exact = string_match.exact(); break;
              case client::StringMatch::kPrefix: condition.prefix = string_match.prefix(); break;
              case client::StringMatch::kRegex: {
                auto regex = std::make_shared<const RE2>(string_match.regex(), RE2::Quiet);
                if (!regex->ok()) {
                  return absl::InvalidArgumentError(
                      absl::StrCat("QuotaSpec ", ns, "/", reference.name(), ": bad regex \"",
                                   string_match.regex(), "\": ", regex->error()));
                }
                condition.regex = std::move(regex);
                break;
              }
              case client::StringMatch::MATCH_TYPE_NOT_SET: break;
            }
            all_of.push_back(std::move(condition));
          }
          compiled_rule.any_of.push_back(std::move(all_of));
        }
        for (const client::Quota& quota : rule.quotas()) {
          compiled_rule.quotas.push_back(QuotaCharge{.quota = quota.quota(), .charge = quota.charge()});
        }
        compiled.rules.push_back(std::move(compiled_rule));
      }
    }
    out.bindings_.push_back(std::move(compiled));
  }
  return out;
}

std::vector<QuotaCharge> QuotaSpecs::For(const AttributeBag& bag) const {
  std::vector<QuotaCharge> out;
  if (bindings_.empty()) return out;
  std::string host;
  if (auto it = bag.find("destination.service.host"); it != bag.end()) {
    if (const auto* text = std::get_if<std::string>(&it->second)) host = *text;
  }
  auto holds = [&bag](const Condition& condition) {
    auto it = bag.find(condition.attribute);
    if (it == bag.end()) return false;
    const auto* value = std::get_if<std::string>(&it->second);
    if (value == nullptr) return false;
    if (condition.regex != nullptr) return RE2::FullMatch(*value, *condition.regex);
    if (!condition.prefix.empty()) return absl::StartsWith(*value, condition.prefix);
    return *value == condition.exact;
  };
  for (const Binding& binding : bindings_) {
    if (!binding.services.Contains(host)) continue;
    for (const Rule& rule : binding.rules) {
      bool matched = rule.any_of.empty();
      for (const auto& all_of : rule.any_of) {
        bool all = true;
        for (const Condition& condition : all_of) all &= holds(condition);
        matched |= all;
      }
      if (matched) out.insert(out.end(), rule.quotas.begin(), rule.quotas.end());
    }
  }
  return out;
}

}  // namespace keel::mixer
