// Validators for security.istio.io kinds.
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/mesh/validation/field_path.h"
#include "libs/mesh/validation/rules.h"
#include "libs/mesh/validation/validators.h"
#include "proto/istio/authentication/v1alpha1/policy.pb.h"
#include "proto/istio/rbac/v1alpha1/rbac.pb.h"
#include "proto/istio/security/v1beta1/authorization_policy.pb.h"
#include "proto/istio/security/v1beta1/peer_authentication.pb.h"
#include "proto/istio/security/v1beta1/request_authentication.pb.h"

namespace keel::mesh::validation {

namespace sec = ::istio::security::v1beta1;

namespace {

template <typename Strings>
void CheckNonEmptyValues(const Strings& values, const std::string& field, FieldErrors& errors) {
  for (int i = 0; i < values.size(); ++i) {
    if (values[i].empty()) errors.Error(At(field, i), "empty value is not allowed");
  }
}

template <typename Strings>
void CheckIpBlocks(const Strings& values, const std::string& field, FieldErrors& errors) {
  for (int i = 0; i < values.size(); ++i) {
    if (std::string problem = CheckIpOrCidr(values[i]); !problem.empty())
      errors.Error(At(field, i), problem);
  }
}

template <typename Strings>
void CheckPorts(const Strings& values, const std::string& field, FieldErrors& errors) {
  for (int i = 0; i < values.size(); ++i) {
    int port = 0;
    if (!absl::SimpleAtoi(values[i], &port) || port < 0 || port > 65535) {
      errors.Error(At(field, i), absl::StrCat("invalid port \"", values[i], "\""));
    }
  }
}

template <typename Strings>
void CheckPaths(const Strings& values, const std::string& field, FieldErrors& errors) {
  for (int i = 0; i < values.size(); ++i) {
    const std::string& path = values[i];
    if (path.empty()) {
      errors.Error(At(field, i), "empty path is not allowed");
    } else if (path != "*" && path.front() != '/' && path.front() != '*' && path.back() != '*') {
      errors.Error(At(field, i),
                   absl::StrCat("path \"", path,
                                "\" must start with \"/\" (or be a * prefix/suffix match)"));
    }
  }
}

// Keys Istio accepts in `when` conditions (besides request.headers[...] and
// the request.auth.claims[...] family).
bool IsKnownConditionKey(const std::string& key) {
  static const std::set<std::string> kKeys = {
      "source.ip",
      "remote.ip",
      "source.namespace",
      "source.principal",
      "destination.ip",
      "destination.port",
      "connection.sni",
      "request.auth.principal",
      "request.auth.audiences",
      "request.auth.presenter",
      "experimental.envoy.filters.network.mysql_proxy[db.table]"};
  if (kKeys.count(key) > 0) return true;
  for (const char* prefix :
       {"request.headers[", "request.auth.claims[", "experimental.envoy.filters."}) {
    if (absl::StartsWith(key, prefix) && absl::EndsWith(key, "]")) return true;
  }
  return false;
}

}  // namespace

void ValidateAuthorizationPolicy(const Resource& resource, FieldErrors& errors) {
  const auto& policy = resource.SpecAs<sec::AuthorizationPolicy>();
  if (policy.action() == sec::AuthorizationPolicy::CUSTOM) {
    if (!policy.has_provider() || policy.provider().name().empty()) {
      errors.Error("spec.provider", "must specify a provider when using CUSTOM action");
    }
  } else if (policy.has_provider()) {
    errors.Error("spec.provider", "provider can only be used with CUSTOM action");
  }
  if (policy.has_selector()) {
    if (policy.selector().match_labels().empty()) {
      errors.Warning("spec.selector",
                     "selector has no labels: it selects every workload in the namespace");
    }
    Check(errors, "spec.selector.matchLabels",
          CheckLabels(std::map<std::string, std::string>(policy.selector().match_labels().begin(),
                                                         policy.selector().match_labels().end())));
  }
  for (int i = 0; i < policy.rules_size(); ++i) {
    const auto& rule = policy.rules(i);
    const std::string field = At("spec.rules", i);
    if (rule.from_size() == 0 && rule.to_size() == 0 && rule.when_size() == 0 &&
        policy.action() != sec::AuthorizationPolicy::ALLOW) {
      // An empty rule matches everything; for DENY/AUDIT/CUSTOM that is
      // almost always a mistake, so Istio requires something to match on.
      errors.Error(field, "rule must not be empty for " +
                              sec::AuthorizationPolicy::Action_Name(policy.action()) +
                              " action (an empty rule matches every request)");
    }
    for (int j = 0; j < rule.from_size(); ++j) {
      const std::string base = At(field + ".from", j);
      if (!rule.from(j).has_source()) {
        errors.Error(base + ".source", "`from.source` must not be nil");
        continue;
      }
      const auto& source = rule.from(j).source();
      if (source.principals_size() + source.not_principals_size() +
              source.request_principals_size() + source.not_request_principals_size() +
              source.namespaces_size() + source.not_namespaces_size() + source.ip_blocks_size() +
              source.not_ip_blocks_size() + source.remote_ip_blocks_size() +
              source.not_remote_ip_blocks_size() + source.service_accounts_size() +
              source.not_service_accounts_size() + source.trust_domains_size() +
              source.not_trust_domains_size() ==
          0) {
        errors.Error(base + ".source", "`from.source` must not be empty");
      }
      CheckNonEmptyValues(source.principals(), base + ".source.principals", errors);
      CheckNonEmptyValues(source.not_principals(), base + ".source.notPrincipals", errors);
      CheckNonEmptyValues(source.request_principals(), base + ".source.requestPrincipals", errors);
      CheckNonEmptyValues(source.namespaces(), base + ".source.namespaces", errors);
      CheckNonEmptyValues(source.not_namespaces(), base + ".source.notNamespaces", errors);
      CheckIpBlocks(source.ip_blocks(), base + ".source.ipBlocks", errors);
      CheckIpBlocks(source.not_ip_blocks(), base + ".source.notIpBlocks", errors);
      CheckIpBlocks(source.remote_ip_blocks(), base + ".source.remoteIpBlocks", errors);
      CheckIpBlocks(source.not_remote_ip_blocks(), base + ".source.notRemoteIpBlocks", errors);
      if ((source.principals_size() + source.not_principals_size() > 0) &&
          (source.service_accounts_size() + source.not_service_accounts_size() > 0)) {
        errors.Error(base + ".source", "cannot set serviceAccounts with principals");
      }
    }
    for (int j = 0; j < rule.to_size(); ++j) {
      const std::string base = At(field + ".to", j);
      if (!rule.to(j).has_operation()) {
        errors.Error(base + ".operation", "`to.operation` must not be nil");
        continue;
      }
      const auto& op = rule.to(j).operation();
      if (op.hosts_size() + op.not_hosts_size() + op.ports_size() + op.not_ports_size() +
              op.methods_size() + op.not_methods_size() + op.paths_size() + op.not_paths_size() ==
          0) {
        errors.Error(base + ".operation", "`to.operation` must not be empty");
      }
      CheckNonEmptyValues(op.hosts(), base + ".operation.hosts", errors);
      CheckNonEmptyValues(op.not_hosts(), base + ".operation.notHosts", errors);
      CheckPorts(op.ports(), base + ".operation.ports", errors);
      CheckPorts(op.not_ports(), base + ".operation.notPorts", errors);
      CheckNonEmptyValues(op.methods(), base + ".operation.methods", errors);
      CheckNonEmptyValues(op.not_methods(), base + ".operation.notMethods", errors);
      CheckPaths(op.paths(), base + ".operation.paths", errors);
      CheckPaths(op.not_paths(), base + ".operation.notPaths", errors);
    }
    for (int j = 0; j < rule.when_size(); ++j) {
      const auto& condition = rule.when(j);
      const std::string base = At(field + ".when", j);
      if (condition.key().empty()) {
        errors.Error(base + ".key", "condition key is required");
      } else if (!IsKnownConditionKey(condition.key())) {
        errors.Error(base + ".key", absl::StrCat("unknown attribute: ", condition.key()));
      }
      if (condition.values_size() == 0 && condition.not_values_size() == 0) {
        errors.Error(base,
                     "at least one of values or notValues must be set for key " + condition.key());
      }
      if (condition.key() == "source.ip" || condition.key() == "remote.ip" ||
          condition.key() == "destination.ip") {
        CheckIpBlocks(condition.values(), base + ".values", errors);
        CheckIpBlocks(condition.not_values(), base + ".notValues", errors);
      } else if (condition.key() == "destination.port") {
        CheckPorts(condition.values(), base + ".values", errors);
        CheckPorts(condition.not_values(), base + ".notValues", errors);
      }
    }
  }
}

void ValidatePeerAuthentication(const Resource& resource, FieldErrors& errors) {
  const auto& pa = resource.SpecAs<sec::PeerAuthentication>();
  const bool has_labels = pa.has_selector() && !pa.selector().match_labels().empty();
  if (pa.port_level_mtls_size() > 0 && !has_labels) {
    errors.Error("spec.portLevelMtls", "portLevelMtls requires a workload selector with labels");
  }
  for (const auto& [port, mtls] : pa.port_level_mtls()) {
    if (port == 0 || port > 65535) {
      errors.Error(absl::StrCat("spec.portLevelMtls[\"", port, "\"]"),
                   absl::StrCat("port ", port, " must be in the range 1..65535"));
    }
  }
  if (pa.has_selector()) {
    Check(errors, "spec.selector.matchLabels",
          CheckLabels(std::map<std::string, std::string>(pa.selector().match_labels().begin(),
                                                         pa.selector().match_labels().end())));
  }
}

void ValidateRequestAuthentication(const Resource& resource, FieldErrors& errors) {
  const auto& ra = resource.SpecAs<sec::RequestAuthentication>();
  std::set<std::string> issuers;
  for (int i = 0; i < ra.jwt_rules_size(); ++i) {
    const auto& rule = ra.jwt_rules(i);
    const std::string field = At("spec.jwtRules", i);
    if (rule.issuer().empty()) {
      errors.Error(field + ".issuer", "issuer must be set");
    } else if (!issuers.insert(rule.issuer()).second) {
      errors.Error(field + ".issuer", absl::StrCat("duplicate issuer \"", rule.issuer(), "\""));
    }
    for (int j = 0; j < rule.audiences_size(); ++j) {
      if (rule.audiences(j).empty())
        errors.Error(At(field + ".audiences", j), "audience must be non-empty string");
    }
    if (!rule.jwks_uri().empty()) {
      if (!absl::StartsWith(rule.jwks_uri(), "http://") &&
          !absl::StartsWith(rule.jwks_uri(), "https://")) {
        errors.Error(field + ".jwksUri",
                     absl::StrCat("jwksUri \"", rule.jwks_uri(), "\" must be an http(s) URL"));
      }
      if (!rule.jwks().empty())
        errors.Error(field + ".jwks", "only one of jwks or jwksUri may be set");
    }
    for (int j = 0; j < rule.from_headers_size(); ++j) {
      if (rule.from_headers(j).name().empty())
        errors.Error(At(field + ".fromHeaders", j) + ".name",
                     "location header name must be non-empty string");
    }
    for (int j = 0; j < rule.from_params_size(); ++j) {
      if (rule.from_params(j).empty())
        errors.Error(At(field + ".fromParams", j), "location query must be non-empty string");
    }
    for (int j = 0; j < rule.output_claim_to_headers_size(); ++j) {
      const auto& claim = rule.output_claim_to_headers(j);
      const std::string base = At(field + ".outputClaimToHeaders", j);
      if (claim.claim().empty()) errors.Error(base + ".claim", "claim must be set");
      Check(errors, base + ".header", CheckHeaderName(claim.header()));
    }
    if (rule.has_timeout()) Check(errors, field + ".timeout", CheckDuration(rule.timeout()));
  }
  if (ra.has_selector()) {
    Check(errors, "spec.selector.matchLabels",
          CheckLabels(std::map<std::string, std::string>(ra.selector().match_labels().begin(),
                                                         ra.selector().match_labels().end())));
  }
}

namespace {

namespace authn = ::istio::authentication::v1alpha1;

void CheckAuthnJwt(const authn::Jwt& jwt, const std::string& field, FieldErrors& errors) {
  if (jwt.issuer().empty()) errors.Error(field + ".issuer", "issuer must be set");
  for (int i = 0; i < jwt.audiences_size(); ++i) {
    if (jwt.audiences(i).empty()) {
      errors.Error(At(field + ".audiences", i), "audience must be non-empty string");
    }
  }
  if (!jwt.jwks_uri().empty() && !absl::StartsWith(jwt.jwks_uri(), "http://") &&
      !absl::StartsWith(jwt.jwks_uri(), "https://")) {
    errors.Error(field + ".jwksUri",
                 absl::StrCat("jwksUri \"", jwt.jwks_uri(), "\" must be an http(s) URL"));
  }
  for (int i = 0; i < jwt.jwt_headers_size(); ++i) {
    if (jwt.jwt_headers(i).empty()) {
      errors.Error(At(field + ".jwtHeaders", i), "location header must be non-empty string");
    }
  }
  for (int i = 0; i < jwt.jwt_params_size(); ++i) {
    if (jwt.jwt_params(i).empty()) {
      errors.Error(At(field + ".jwtParams", i), "location query must be non-empty string");
    }
  }
}

// Istio 1.4's rules for both kinds; `mesh_wide` for MeshPolicy.
void CheckAuthnPolicy(const Resource& resource, bool mesh_wide, FieldErrors& errors) {
  const auto& policy = resource.SpecAs<authn::Policy>();
  if (mesh_wide) {
    if (resource.name != "default") {
      errors.Error("metadata.name", absl::StrCat("a MeshPolicy must be named \"default\", not \"",
                                                 resource.name, "\""));
    }
    if (policy.targets_size() > 0) errors.Error("spec.targets", "a MeshPolicy must not have targets");
  } else {
    if (policy.targets_size() == 0 && resource.name != "default") {
      errors.Error("spec.targets",
                   absl::StrCat("a policy without targets applies to its whole namespace and must "
                                "be named \"default\", not \"",
                                resource.name, "\""));
    }
    if (policy.targets_size() > 0 && resource.name == "default") {
      errors.Error("spec.targets", "the policy named \"default\" must not have targets");
    }
  }
  for (int i = 0; i < policy.targets_size(); ++i) {
    const auto& target = policy.targets(i);
    const std::string field = At("spec.targets", i);
    if (!IsDns1123Label(target.name())) {
      errors.Error(field + ".name",
                   absl::StrCat("target name \"", target.name(), "\" must be a service short name"));
    }
    for (int j = 0; j < target.ports_size(); ++j) {
      const auto& port = target.ports(j);
      if (port.has_number()) {
        Check(errors, At(field + ".ports", j) + ".number", CheckPort(port.number()));
      } else if (port.has_name() && !IsDns1123Label(port.name())) {
        errors.Error(At(field + ".ports", j) + ".name",
                     absl::StrCat("port name \"", port.name(), "\" must be a valid label"));
      }
    }
  }
  std::set<std::string> issuers;
  int mtls_methods = 0;
  for (int i = 0; i < policy.peers_size(); ++i) {
    const auto& peer = policy.peers(i);
    if (peer.has_mtls() && ++mtls_methods == 2) {
      errors.Error(At("spec.peers", i) + ".mtls", "mtls may be given only once");
    }
    if (peer.has_jwt()) {
      if (!issuers.insert(peer.jwt().issuer()).second) {
        errors.Error(At("spec.peers", i) + ".jwt.issuer",
                     absl::StrCat("jwt with issuer \"", peer.jwt().issuer(), "\" already defined"));
      }
      CheckAuthnJwt(peer.jwt(), At("spec.peers", i) + ".jwt", errors);
    }
  }
  for (int i = 0; i < policy.origins_size(); ++i) {
    const auto& jwt = policy.origins(i).jwt();
    if (!issuers.insert(jwt.issuer()).second) {
      errors.Error(At("spec.origins", i) + ".jwt.issuer",
                   absl::StrCat("jwt with issuer \"", jwt.issuer(), "\" already defined"));
    }
    CheckAuthnJwt(jwt, At("spec.origins", i) + ".jwt", errors);
  }
}

}  // namespace

void ValidateAuthenticationPolicy(const Resource& resource, FieldErrors& errors) {
  CheckAuthnPolicy(resource, /*mesh_wide=*/false, errors);
}

void ValidateMeshPolicy(const Resource& resource, FieldErrors& errors) {
  CheckAuthnPolicy(resource, /*mesh_wide=*/true, errors);
}

namespace {

namespace rbacv1 = ::istio::rbac::v1alpha1;

void CheckAccessRule(const rbacv1::AccessRule& rule, const std::string& field, FieldErrors& errors) {
  if (rule.services().empty()) errors.Error(field + ".services", "at least 1 service must be specified");
  if (rule.methods().empty() && rule.not_methods().empty()) {
    errors.Error(field + ".methods", "at least 1 method must be specified");
  }
  for (int j = 0; j < rule.constraints_size(); ++j) {
    const auto& constraint = rule.constraints(j);
    const std::string at = At(field + ".constraints", j);
    if (constraint.key().empty()) errors.Error(at + ".key", "key cannot be empty");
    if (constraint.values().empty()) {
      errors.Error(at + ".values", "at least 1 value must be specified");
    }
  }
  for (int j = 0; j < rule.ports_size(); ++j) {
    Check(errors, At(field + ".ports", j), CheckPort(rule.ports(j)));
  }
}

}  // namespace

void ValidateServiceRole(const Resource& resource, FieldErrors& errors) {
  const auto& role = resource.SpecAs<rbacv1::ServiceRole>();
  if (role.rules().empty()) errors.Error("spec.rules", "at least 1 rule must be specified");
  for (int i = 0; i < role.rules_size(); ++i) CheckAccessRule(role.rules(i), At("spec.rules", i), errors);
}

void ValidateServiceRoleBinding(const Resource& resource, FieldErrors& errors) {
  const auto& binding = resource.SpecAs<rbacv1::ServiceRoleBinding>();
  if (binding.subjects().empty()) errors.Error("spec.subjects", "at least 1 subject must be specified");
  for (int i = 0; i < binding.subjects_size(); ++i) {
    const auto& subject = binding.subjects(i);
    if (subject.user().empty() && subject.group().empty() && subject.properties().empty() &&
        subject.names().empty() && subject.not_names().empty() && subject.groups().empty() &&
        subject.not_groups().empty() && subject.namespaces().empty() &&
        subject.not_namespaces().empty() && subject.ips().empty() && subject.not_ips().empty()) {
      errors.Error(At("spec.subjects", i),
                   "at least 1 of user, names, groups, namespaces, ips or properties must be "
                   "specified");
    }
  }
  const bool has_role_ref = binding.has_roleref();
  if (!has_role_ref && binding.role().empty() && binding.actions().empty()) {
    errors.Error("spec.roleRef", "roleRef must be specified");
  } else if (has_role_ref) {
    if (binding.roleref().kind() != "ServiceRole") {
      errors.Error("spec.roleRef.kind",
                   absl::StrCat("kind set to \"", binding.roleref().kind(),
                                "\", currently the only supported value is \"ServiceRole\""));
    }
    if (binding.roleref().name().empty()) errors.Error("spec.roleRef.name", "name cannot be empty");
  }
  for (int i = 0; i < binding.actions_size(); ++i) {
    CheckAccessRule(binding.actions(i), At("spec.actions", i), errors);
  }
}

void ValidateRbacConfig(const Resource& resource, FieldErrors& errors) {
  const auto& config = resource.SpecAs<rbacv1::RbacConfig>();
  if (resource.name != "default") {
    errors.Error("metadata.name", absl::StrCat("rbacConfig has invalid name(", resource.name,
                                               "), name must be default"));
  }
  if (config.mode() == rbacv1::RbacConfig::ON_WITH_INCLUSION && !config.has_inclusion()) {
    errors.Error("spec.inclusion", "inclusion cannot be null (use 'inclusion: {}' for none)");
  }
  if (config.mode() == rbacv1::RbacConfig::ON_WITH_EXCLUSION && !config.has_exclusion()) {
    errors.Error("spec.exclusion", "exclusion cannot be null (use 'exclusion: {}' for none)");
  }
}

}  // namespace keel::mesh::validation
