// EnvoyFilter patches applied to generated resources. Patch values are
// Envoy's own JSON/YAML (as a Struct); they are converted to the target
// message type (Galley has already checked that they convert) and applied
// with proto merge semantics, as Istio does. Istio 1.4's older `filters`
// form inserts HTTP filters into the HTTP connection managers of matching
// listeners.
#ifndef KEEL_SERVICES_PILOT_GENERATORS_ENVOY_FILTER_H_
#define KEEL_SERVICES_PILOT_GENERATORS_ENVOY_FILTER_H_

#include <map>
#include <string>

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "services/pilot/push/push_context.h"

namespace keel::pilot {

// Where a generated resource sits, for matching patches.
struct PatchTarget {
  bool inbound = false;   // SIDECAR_INBOUND vs SIDECAR_OUTBOUND
  uint32_t port = 0;      // service (outbound) or listening (inbound) port
  std::string port_name;  // the service port's name
  std::string address;    // the listening address (inbound only)
  const std::map<std::string, std::string>* workload_labels = nullptr;  // inbound only
  // The workload's namespace (inbound), or the proxy's (outbound; "" for
  // the unscoped view): a filter without a selector applies to workloads of
  // its own namespace, and to all only from the root namespace, as in Istio.
  std::string workload_namespace;
};

void ApplyListenerPatches(const PushContext& context, const PatchTarget& target,
                          envoy::config::listener::v3::Listener& listener);
void ApplyRoutePatches(const PushContext& context, const PatchTarget& target,
                       envoy::config::route::v3::RouteConfiguration& routes);
void ApplyClusterPatches(const PushContext& context, const std::string& proxy_namespace,
                         const std::string& host, const std::string& subset, uint32_t port,
                         envoy::config::cluster::v3::Cluster& cluster);

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_GENERATORS_ENVOY_FILTER_H_
