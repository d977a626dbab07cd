// The inbound side: the Listener an xDS-enabled gRPC server asks for, with
// AuthorizationPolicy translated to Envoy's RBAC HTTP filter.
#ifndef KEEL_SERVICES_PILOT_GENERATORS_RBAC_H_
#define KEEL_SERVICES_PILOT_GENERATORS_RBAC_H_

#include <string>
#include <vector>

#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/extensions/filters/http/rbac/v3/rbac.pb.h"
#include "services/pilot/push/push_context.h"

namespace keel::pilot {

// RbacFilters returns the RBAC filters for a workload: a DENY filter for
// its DENY policies, then an ALLOW filter for its ALLOW policies (absent
// when there are none: everything is allowed). AUDIT and CUSTOM policies are
// not enforced by proxyless gRPC and are skipped. When the workload serves
// `service` under Istio 1.4's ClusterRbacConfig, the rules its ServiceRoles
// and bindings grant join the ALLOW filter (rbac_v1alpha1.h).
std::vector<envoy::extensions::filters::http::rbac::v3::RBAC> RbacFilters(
    const PushContext& context, const std::string& workload_namespace,
    const std::map<std::string, std::string>& workload_labels,
    const ServiceInfo* service = nullptr);

// PrincipalMatcher translates an Istio principal ("cluster.local/ns/a/sa/b",
// "*", "prefix*", "*suffix") to the matcher of the peer's SPIFFE identity.
envoy::type::matcher::v3::StringMatcher PrincipalMatcher(const std::string& principal);

// HostRegex matches an AuthorizationPolicy host (Istio forms allowed) against
// :authority, case-insensitively and with an optional port.
std::string HostRegex(const std::string& host);

// NamespaceRegex is the regex of SPIFFE identities in namespace `ns` (Istio
// forms allowed), with the user's text quoted.
std::string NamespaceRegex(const std::string& ns);

// BuildInboundListener is the Listener `name` for a server on `address`
// ("ip:port") run by `endpoint`.
envoy::config::listener::v3::Listener BuildInboundListener(const PushContext& context,
                                                           const ServiceInfo& service,
                                                           const ServicePort& service_port,
                                                           const Endpoint& endpoint,
                                                           const std::string& address,
                                                           const std::string& name);

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_GENERATORS_RBAC_H_
