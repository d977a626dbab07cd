#include "services/pilot/generators/rbac.h"

#include "services/pilot/generators/mtls.h"
#include "services/pilot/generators/rbac_v1alpha1.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "re2/re2.h"

namespace keel::pilot {

namespace rbac = envoy::config::rbac::v3;
namespace sec = istio::security::v1beta1;
using envoy::type::matcher::v3::StringMatcher;

namespace {

// Istio's string forms: "*" (present), "prefix*", "*suffix", or exact.
StringMatcher IstioString(const std::string& value) {
  StringMatcher m;
  if (value == "*") {
    m.mutable_safe_regex()->set_regex(".+");
  } else if (absl::EndsWith(value, "*")) {
    m.set_prefix(value.substr(0, value.size() - 1));
  } else if (absl::StartsWith(value, "*")) {
    m.set_suffix(value.substr(1));
  } else {
    m.set_exact(value);
  }
  return m;
}

// A header matcher in Istio's string forms, with the header_match_specifier
// fields gRPC 1.51 understands (it NACKs string_match).
void IstioHeader(const std::string& name, const std::string& value,
                 envoy::config::route::v3::HeaderMatcher* out) {
  out->set_name(name);
  if (value == "*") {
    out->set_present_match(true);
  } else if (absl::EndsWith(value, "*")) {
    out->set_prefix_match(value.substr(0, value.size() - 1));
  } else if (absl::StartsWith(value, "*")) {
    out->set_suffix_match(value.substr(1));
  } else {
    out->set_exact_match(value);
  }
}

rbac::Permission PathPermission(const std::string& path) {
  rbac::Permission p;
  *p.mutable_url_path()->mutable_path() = IstioString(path);
  return p;
}

rbac::Permission OperationPermission(const sec::Operation& op) {
  rbac::Permission all;
  auto* and_rules = all.mutable_and_rules();
  auto add_any = [&](const auto& values, auto make) {
    if (values.empty()) return;
    rbac::Permission* any = and_rules->add_rules();
    auto* ors = any->mutable_or_rules();
    for (const std::string& v : values) *ors->add_rules() = make(v);
  };
  auto add_none = [&](const auto& values, auto make) {
    if (values.empty()) return;
    rbac::Permission* none = and_rules->add_rules()->mutable_not_rule();
    auto* ors = none->mutable_or_rules();
    for (const std::string& v : values) *ors->add_rules() = make(v);
  };
  auto method = [](const std::string& v) {
    rbac::Permission p;
    IstioHeader(":method", v, p.mutable_header());
    return p;
  };
  auto port = [](const std::string& v) {
    rbac::Permission p;
    uint32_t n = 0;
    (void)absl::SimpleAtoi(v, &n);
    p.set_destination_port(n);
    return p;
  };
  auto host = [](const std::string& v) {
    rbac::Permission p;
    p.mutable_header()->set_name(":authority");
    if (v == "*") {
      p.mutable_header()->set_present_match(true);
    } else {
      p.mutable_header()->mutable_safe_regex_match()->set_regex(HostRegex(v));
    }
    return p;
  };
  add_any(op.paths(), PathPermission);
  add_none(op.not_paths(), PathPermission);
  add_any(op.methods(), method);
  add_none(op.not_methods(), method);
  add_any(op.ports(), port);
  add_none(op.not_ports(), port);
  add_any(op.hosts(), host);
  add_none(op.not_hosts(), host);
  if (and_rules->rules().empty()) all.set_any(true);
  return all;
}

rbac::Principal SourcePrincipal(const sec::Source& source) {
  rbac::Principal all;
  auto* and_ids = all.mutable_and_ids();
  auto add_any = [&](const auto& values, auto make, bool negate) {
    if (values.empty()) return;
    rbac::Principal* p = and_ids->add_ids();
    if (negate) p = p->mutable_not_id();
    auto* ors = p->mutable_or_ids();
    for (const std::string& v : values) *ors->add_ids() = make(v);
  };
  // Principals and namespaces come from the peer's mTLS certificate; they
  // never match a plaintext peer (stated in docs/pilot.md).
  auto principal = [](const std::string& v) {
    rbac::Principal p;
    *p.mutable_authenticated()->mutable_principal_name() = PrincipalMatcher(v);
    return p;
  };
  auto ns = [](const std::string& v) {
    rbac::Principal p;
    p.mutable_authenticated()->mutable_principal_name()->mutable_safe_regex()->set_regex(
        NamespaceRegex(v));
    return p;
  };
  auto ip = [](const std::string& v) {
    rbac::Principal p;
    const size_t slash = v.find('/');
    p.mutable_direct_remote_ip()->set_address_prefix(v.substr(0, slash));
    uint32_t len = v.find(':') == std::string::npos ? 32 : 128;
    if (slash != std::string::npos) (void)absl::SimpleAtoi(v.substr(slash + 1), &len);
    p.mutable_direct_remote_ip()->mutable_prefix_len()->set_value(len);
    return p;
  };
  add_any(source.principals(), principal, false);
  add_any(source.not_principals(), principal, true);
  add_any(source.namespaces(), ns, false);
  add_any(source.not_namespaces(), ns, true);
  add_any(source.ip_blocks(), ip, false);
  add_any(source.not_ip_blocks(), ip, true);
  add_any(source.remote_ip_blocks(), ip, false);
  add_any(source.not_remote_ip_blocks(), ip, true);
  if (and_ids->ids().empty()) all.set_any(true);
  return all;
}

rbac::Policy RulePolicy(const sec::Rule& rule) {
  rbac::Policy policy;
  rbac::Permission permission;
  if (rule.to().empty()) {
    permission.set_any(true);
  } else {
    auto* ors = permission.mutable_or_rules();
    for (const auto& to : rule.to()) *ors->add_rules() = OperationPermission(to.operation());
  }
  // `when` conditions on request headers join the permission.
  if (!rule.when().empty()) {
    rbac::Permission with_conditions;
    auto* ands = with_conditions.mutable_and_rules();
    *ands->add_rules() = permission;
    for (const auto& condition : rule.when()) {
      const std::string& key = condition.key();
      if (!absl::StartsWith(key, "request.headers[")) continue;
      const std::string header = key.substr(16, key.size() - 17);
      rbac::Permission* any = ands->add_rules();
      for (const std::string& v : condition.values()) {
        IstioHeader(header, v, any->mutable_or_rules()->add_rules()->mutable_header());
      }
      if (condition.values().empty()) any->set_any(true);
    }
    permission = with_conditions;
  }
  *policy.add_permissions() = permission;
  if (rule.from().empty()) {
    policy.add_principals()->set_any(true);
  } else {
    auto* ors = policy.add_principals()->mutable_or_ids();
    for (const auto& from : rule.from()) *ors->add_ids() = SourcePrincipal(from.source());
  }
  return policy;
}

}  // namespace

StringMatcher PrincipalMatcher(const std::string& principal) {
  // The Istio form applies to the principal as written; only exact and
  // prefix forms gain the spiffe:// scheme (a suffix form must not become
  // "spiffe://*...", which never matches: ISTIO-SECURITY-2020-009).
  StringMatcher m;
  if (principal == "*") {
    m.mutable_safe_regex()->set_regex(".+");
  } else if (absl::StartsWith(principal, "*")) {
    m.set_suffix(principal.substr(1));
  } else if (absl::EndsWith(principal, "*")) {
    m.set_prefix(absl::StrCat("spiffe://", principal.substr(0, principal.size() - 1)));
  } else {
    m.set_exact(absl::StrCat("spiffe://", principal));
  }
  return m;
}

std::string HostRegex(const std::string& host) {
  // Hosts compare case-insensitively, with or without a port, as Istio does.
  if (absl::StartsWith(host, "*")) {
    return absl::StrCat("(?i).*", RE2::QuoteMeta(host.substr(1)), "(:[0-9]+)?");
  }
  if (absl::EndsWith(host, "*")) {
    return absl::StrCat("(?i)", RE2::QuoteMeta(host.substr(0, host.size() - 1)), ".*");
  }
  return absl::StrCat("(?i)", RE2::QuoteMeta(host), "(:[0-9]+)?");
}

std::string NamespaceRegex(const std::string& ns) {
  // User text is quoted before it goes into a regex (ISTIO-SECURITY-2026-003).
  std::string pattern;
  if (ns == "*") {
    pattern = "[^/]+";
  } else if (absl::StartsWith(ns, "*")) {
    pattern = absl::StrCat("[^/]*", RE2::QuoteMeta(ns.substr(1)));
  } else if (absl::EndsWith(ns, "*")) {
    pattern = absl::StrCat(RE2::QuoteMeta(ns.substr(0, ns.size() - 1)), "[^/]*");
  } else {
    pattern = RE2::QuoteMeta(ns);
  }
  return absl::StrCat(".*/ns/", pattern, "/.*");
}

std::vector<envoy::extensions::filters::http::rbac::v3::RBAC> RbacFilters(
    const PushContext& context, const std::string& workload_namespace,
    const std::map<std::string, std::string>& workload_labels, const ServiceInfo* service) {
  envoy::extensions::filters::http::rbac::v3::RBAC deny, allow;
  deny.mutable_rules()->set_action(rbac::RBAC::DENY);
  allow.mutable_rules()->set_action(rbac::RBAC::ALLOW);
  bool any_allow = false;
  for (const auto& [resource, policy] : context.authorization_policies()) {
    if (resource->namespace_name != workload_namespace &&
        resource->namespace_name != context.root_namespace())
      continue;
    const std::map<std::string, std::string> selector(policy->selector().match_labels().begin(),
                                                      policy->selector().match_labels().end());
    if (!LabelsMatch(selector, workload_labels)) continue;
    auto* target = policy->action() == sec::AuthorizationPolicy::DENY    ? &deny
                   : policy->action() == sec::AuthorizationPolicy::ALLOW ? &allow
                                                                         : nullptr;
    if (target == nullptr) continue;
    if (policy->action() == sec::AuthorizationPolicy::ALLOW) any_allow = true;
    for (int i = 0; i < policy->rules_size(); ++i) {
      (*target->mutable_rules()->mutable_policies())[absl::StrCat(
          "ns[", resource->namespace_name, "]-policy[", resource->name, "]-rule[", i, "]")] =
          RulePolicy(policy->rules(i));
    }
  }
  if (service != nullptr) {
    if (auto legacy = LegacyRbacRules(context, *service, workload_labels); legacy.has_value()) {
      any_allow = true;  // enforced: what no role grants is denied
      for (const LegacyRbacRule& rule : *legacy) {
        (*allow.mutable_rules()->mutable_policies())[absl::StrCat("rbac.istio.io[", rule.name,
                                                                  "]")] = RulePolicy(rule.rule);
      }
    }
  }
  std::vector<envoy::extensions::filters::http::rbac::v3::RBAC> filters;
  if (!deny.rules().policies().empty()) filters.push_back(deny);
  if (any_allow) filters.push_back(allow);  // ALLOW with no matching rule denies everything
  return filters;
}

envoy::config::listener::v3::Listener BuildInboundListener(const PushContext& context,
                                                           const ServiceInfo& service,
                                                           const ServicePort& service_port,
                                                           const Endpoint& endpoint,
                                                           const std::string& address,
                                                           const std::string& name) {
  namespace hcm = envoy::extensions::filters::network::http_connection_manager::v3;
  envoy::config::listener::v3::Listener listener;
  listener.set_name(name);
  const size_t colon = address.rfind(':');
  auto* socket = listener.mutable_address()->mutable_socket_address();
  socket->set_address(address.substr(0, colon));
  uint32_t port = 0;
  (void)absl::SimpleAtoi(address.substr(colon + 1), &port);
  socket->set_port_value(port);
  hcm::HttpConnectionManager manager;
  manager.set_stat_prefix("inbound_" + address);
  auto* route_config = manager.mutable_route_config();
  route_config->set_name("inbound|" + address);
  auto* vhost = route_config->add_virtual_hosts();
  vhost->set_name("inbound|" + address);
  vhost->add_domains("*");
  auto* route = vhost->add_routes();
  route->mutable_match()->set_prefix("");
  route->mutable_non_forwarding_action();
  const std::string workload_namespace =
      endpoint.workload.empty() ? "default"
                                : endpoint.workload.substr(0, endpoint.workload.find('/'));
  int index = 0;
  for (const auto& rbac_filter :
       RbacFilters(context, workload_namespace, endpoint.labels, &service)) {
    auto* filter = manager.add_http_filters();
    filter->set_name(absl::StrCat("envoy.filters.http.rbac.", index++));
    filter->mutable_typed_config()->PackFrom(rbac_filter);
  }
  auto* router = manager.add_http_filters();
  router->set_name("envoy.filters.http.router");
  router->mutable_typed_config()->PackFrom(envoy::extensions::filters::http::router::v3::Router());
  auto* chain = listener.add_filter_chains();
  chain->set_name("inbound|" + address);
  if (PeerMtlsMode(context, workload_namespace, endpoint.labels, port, &service, &service_port) ==
      MtlsMode::kStrict) {
    chain->mutable_transport_socket()->set_name(kTlsTransportSocket);
    chain->mutable_transport_socket()->mutable_typed_config()->PackFrom(InboundTlsContext());
  }
  auto* network_filter = chain->add_filters();
  network_filter->set_name("envoy.filters.network.http_connection_manager");
  network_filter->mutable_typed_config()->PackFrom(manager);
  return listener;
}

}  // namespace keel::pilot
