// Istio 1.4's role-based access control (rbac.istio.io/v1alpha1:
// ClusterRbacConfig, ServiceRole, ServiceRoleBinding) as the equivalent
// AuthorizationPolicy rules, which RbacFilters turns into gRPC's RBAC filter.
//
// Where a role or subject uses something a proxyless gRPC server cannot
// check (JWT groups, Mixer-only properties, constraints on attributes other
// than request headers and the destination's labels), that rule or subject
// grants nothing: a translation may only ever allow less than Istio did,
// never more.
#ifndef KEEL_SERVICES_PILOT_GENERATORS_RBAC_V1ALPHA1_H_
#define KEEL_SERVICES_PILOT_GENERATORS_RBAC_V1ALPHA1_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proto/istio/security/v1beta1/authorization_policy.pb.h"
#include "services/pilot/push/push_context.h"

namespace keel::pilot {

// A translated rule, named after the binding it came from.
struct LegacyRbacRule {
  std::string name;  // "ns/binding/rule-N"
  istio::security::v1beta1::Rule rule;
};

// LegacyRbacRules returns nothing when the ClusterRbacConfig does not
// enforce access control for `service` (no config, OFF, outside its
// inclusion, inside its exclusion, or PERMISSIVE enforcement). Otherwise the
// ALLOW rules the service's roles and bindings grant: empty means every
// request is denied, as in Istio 1.4.
std::optional<std::vector<LegacyRbacRule>> LegacyRbacRules(
    const PushContext& context, const ServiceInfo& service,
    const std::map<std::string, std::string>& workload_labels);

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_GENERATORS_RBAC_V1ALPHA1_H_
