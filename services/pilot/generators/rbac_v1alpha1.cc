#include "services/pilot/generators/rbac_v1alpha1.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace keel::pilot {
namespace {

namespace rbacv1 = istio::rbac::v1alpha1;
namespace sec = istio::security::v1beta1;

// Istio 1.4's string forms: exact, "*", "prefix*", "*suffix".
bool Matches(const std::string& pattern, const std::string& value) {
  if (pattern == "*") return true;
  if (absl::StartsWith(pattern, "*")) return absl::EndsWith(value, pattern.substr(1));
  if (absl::EndsWith(pattern, "*")) {
    return absl::StartsWith(value, pattern.substr(0, pattern.size() - 1));
  }
  return pattern == value;
}

bool AnyMatches(const google::protobuf::RepeatedPtrField<std::string>& patterns,
                const std::string& value) {
  for (const std::string& pattern : patterns) {
    if (Matches(pattern, value)) return true;
  }
  return false;
}

bool Enforced(const rbacv1::RbacConfig* config, const ServiceInfo& service) {
  if (config == nullptr || config->enforcement_mode() == rbacv1::PERMISSIVE) return false;
  auto listed = [&](const rbacv1::RbacConfig::Target& target) {
    for (const std::string& host : target.services()) {
      if (host == service.host) return true;
    }
    for (const std::string& ns : target.namespaces()) {
      if (ns == service.namespace_name) return true;
    }
    return false;
  };
  switch (config->mode()) {
    case rbacv1::RbacConfig::ON:
      return true;
    case rbacv1::RbacConfig::ON_WITH_INCLUSION:
      return listed(config->inclusion());
    case rbacv1::RbacConfig::ON_WITH_EXCLUSION:
      return !listed(config->exclusion());
    default:
      return false;
  }
}

// The operation of an access rule, or nothing when the rule depends on what
// gRPC cannot check (then it grants nothing).
std::optional<sec::Rule> TranslateAccessRule(const rbacv1::AccessRule& access,
                                             const std::map<std::string, std::string>& labels) {
  sec::Rule rule;
  sec::Operation* operation = rule.add_to()->mutable_operation();
  for (const std::string& method : access.methods()) {
    if (method == "*") {
      operation->clear_methods();
      operation->clear_paths();
      break;
    }
    // gRPC methods are "package.Service/Method": the request path.
    if (absl::StrContains(method, "/")) {
      operation->add_paths(absl::StartsWith(method, "/") ? method : "/" + method);
    } else {
      operation->add_methods(method);
    }
  }
  for (const std::string& path : access.paths()) operation->add_paths(path);
  for (const std::string& path : access.not_paths()) operation->add_not_paths(path);
  for (const std::string& method : access.not_methods()) {
    if (absl::StrContains(method, "/")) {
      operation->add_not_paths(absl::StartsWith(method, "/") ? method : "/" + method);
    } else {
      operation->add_not_methods(method);
    }
  }
  for (int32_t port : access.ports()) operation->add_ports(absl::StrCat(port));
  for (int32_t port : access.not_ports()) operation->add_not_ports(absl::StrCat(port));
  for (const std::string& host : access.hosts()) operation->add_hosts(host);
  for (const std::string& host : access.not_hosts()) operation->add_not_hosts(host);
  for (const auto& constraint : access.constraints()) {
    const std::string& key = constraint.key();
    if (absl::StartsWith(key, "destination.labels[") && absl::EndsWith(key, "]")) {
      // Known when generating: this workload's own labels.
      auto label = labels.find(key.substr(19, key.size() - 20));
      if (label == labels.end() || !AnyMatches(constraint.values(), label->second)) {
        return std::nullopt;
      }
    } else if (absl::StartsWith(key, "request.headers[")) {
      sec::Condition* condition = rule.add_when();
      condition->set_key(key);
      for (const std::string& value : constraint.values()) condition->add_values(value);
    } else {
      return std::nullopt;  // not checkable here: grant nothing
    }
  }
  return rule;
}

// A subject as a source, or nothing when gRPC cannot check it.
std::optional<sec::Source> TranslateSubject(const rbacv1::Subject& subject) {
  if (!subject.group().empty() || !subject.groups().empty() || !subject.not_groups().empty()) {
    return std::nullopt;  // JWT groups: not available to a proxyless server
  }
  sec::Source source;
  if (!subject.user().empty()) source.add_principals(subject.user());
  for (const std::string& name : subject.names()) source.add_principals(name);
  for (const std::string& name : subject.not_names()) source.add_not_principals(name);
  for (const std::string& ns : subject.namespaces()) source.add_namespaces(ns);
  for (const std::string& ns : subject.not_namespaces()) source.add_not_namespaces(ns);
  for (const std::string& ip : subject.ips()) source.add_ip_blocks(ip);
  for (const std::string& ip : subject.not_ips()) source.add_not_ip_blocks(ip);
  for (const auto& [key, value] : subject.properties()) {
    if (key == "source.principal") {
      source.add_principals(value);
    } else if (key == "source.namespace") {
      source.add_namespaces(value);
    } else if (key == "source.ip") {
      source.add_ip_blocks(value);
    } else {
      return std::nullopt;
    }
  }
  return source;
}

}  // namespace

std::optional<std::vector<LegacyRbacRule>> LegacyRbacRules(
    const PushContext& context, const ServiceInfo& service,
    const std::map<std::string, std::string>& workload_labels) {
  if (!Enforced(context.rbac_config(), service)) return std::nullopt;
  std::vector<LegacyRbacRule> out;
  for (const auto& [binding_resource, binding] : context.service_role_bindings()) {
    if (binding_resource->namespace_name != service.namespace_name) continue;
    if (binding->mode() == rbacv1::PERMISSIVE) continue;  // evaluated, never enforced
    std::vector<sec::Source> sources;
    for (const auto& subject : binding->subjects()) {
      if (std::optional<sec::Source> source = TranslateSubject(subject)) sources.push_back(*source);
    }
    if (sources.empty()) continue;
    // The role's rules, or the binding's own actions.
    std::vector<const rbacv1::AccessRule*> access_rules;
    const std::string role_name =
        binding->has_roleref() ? binding->roleref().name() : binding->role();
    for (const auto& [role_resource, role] : context.service_roles()) {
      if (role_resource->namespace_name != service.namespace_name ||
          role_resource->name != role_name) {
        continue;
      }
      for (const auto& rule : role->rules()) access_rules.push_back(&rule);
    }
    for (const auto& rule : binding->actions()) access_rules.push_back(&rule);
    int index = 0;
    for (const rbacv1::AccessRule* access : access_rules) {
      if (!AnyMatches(access->services(), service.host)) continue;
      std::optional<sec::Rule> rule = TranslateAccessRule(*access, workload_labels);
      if (!rule.has_value()) continue;
      for (const sec::Source& source : sources) *rule->add_from()->mutable_source() = source;
      out.push_back({absl::StrCat(binding_resource->namespace_name, "/", binding_resource->name,
                                  "/rule-", index++),
                     *std::move(rule)});
    }
  }
  return out;
}

}  // namespace keel::pilot
