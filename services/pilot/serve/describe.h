// Describe answers "where do requests to this service go, and why" for the
// proxies of one namespace (keelctl describe service): the VirtualService
// that applies and those it shadows, its routes with the endpoints each
// destination selects, the DestinationRule's policies, the servers' mTLS
// mode and AuthorizationPolicies, and the proxies that subscribe to the
// service with their sync state. Everything comes from the PushContext Pilot
// serves, so the answer is what the proxies were sent.
#ifndef KEEL_SERVICES_PILOT_SERVE_DESCRIBE_H_
#define KEEL_SERVICES_PILOT_SERVE_DESCRIBE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/pilot/push/push_context.h"

namespace keel::pilot {

// A connected proxy that subscribes to the described service.
struct SubscriberState {
  std::string proxy;
  std::string namespace_name;
  std::string status;  // SYNCED, STALE or NACKED
  std::string nack;    // "TYPE: message" of the last NACK, when NACKED
};

// DescribeServiceJson describes `host` (an FQDN, or a short name in
// `proxy_namespace`) as proxies in `proxy_namespace` see it. NotFound,
// naming the closest hosts, when no service has that name.
absl::StatusOr<std::string> DescribeServiceJson(const PushContext& context,
                                                const std::string& host,
                                                const std::string& proxy_namespace,
                                                const std::vector<SubscriberState>& subscribers);

// DescribeWorkloadJson describes the WorkloadEntry `ns/name`: its address,
// labels and locality, the services that select it, and per service port the
// mTLS mode and AuthorizationPolicies its server applies. NotFound, naming
// the closest workloads, when there is none.
absl::StatusOr<std::string> DescribeWorkloadJson(const PushContext& context,
                                                 const std::string& workload);

// TrafficGraphJson is the mesh as proxies in `proxy_namespace` route it,
// for the console's traffic page: every service (nodes), the subsets routes
// lead to (nodes "host/subset"), and an edge per route destination with its
// weight, the subset's labels and the VirtualService that routes it.
std::string TrafficGraphJson(const PushContext& context, const std::string& proxy_namespace);

// ResolveHost is the FQDN `host` names for a proxy in `proxy_namespace`
// ("reviews" -> "reviews.NS.svc.DOMAIN"), if a service has it.
const ServiceInfo* ResolveHost(const PushContext& context, const std::string& host,
                               const std::string& proxy_namespace);

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_SERVE_DESCRIBE_H_
