// The generators: each turns a PushContext into every resource of one part
// of an xDS type that a proxy may see (the server sends each client the
// names it asks for). They are wired in one place, the generator table
// (table.h). The default proxy is the unscoped view of the whole mesh.
#ifndef KEEL_SERVICES_PILOT_GENERATORS_GENERATORS_H_
#define KEEL_SERVICES_PILOT_GENERATORS_GENERATORS_H_

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "libs/xds/resources.h"
#include "libs/xds/type_urls.h"
#include "services/pilot/push/push_context.h"

namespace keel::pilot {

using xds::kClusterType;
using xds::kEndpointType;
using xds::kListenerType;
using xds::kRouteType;

// The resource name xDS-enabled gRPC servers ask for, with %s standing for
// "ip:port" (the bootstrap's server_listener_resource_name_template).
inline constexpr char kServerListenerPrefix[] = "grpc/server?xds.resource.listening_address=";

// TypeVersion is a type's version: a hash of its resources' names and
// versions (so it changes exactly when one of them does).
std::string TypeVersion(const xds::TypeResources& type);

// MergeTypeResources joins parts generated apart (names do not overlap).
std::shared_ptr<const xds::TypeResources> MergeTypeResources(
    const std::vector<const xds::TypeResources*>& parts);

// ClusterName is Istio's outbound cluster name: "outbound|PORT|SUBSET|HOST".
std::string ClusterName(uint32_t port, const std::string& subset, const std::string& host);

// API listeners for clients, one per service port.
std::shared_ptr<const xds::TypeResources> GenerateOutboundListeners(const PushContext& context,
                                                                    const Proxy& proxy = {});
// What a part keeps between pushes to rebuild only what changed. Inbound
// listeners keep theirs by what each is built from (its endpoint's address,
// port, workload and labels), so a push after WorkloadEntry changes builds
// only the changed workloads' listeners. The table says which changes a
// part's cache survives; any other change the part reads clears it.
struct PartCache {
  std::unordered_map<std::string, std::shared_ptr<const xds::XdsResource>> entries;
  uint64_t built = 0;  // entries built (not reused), for logs and tests
};

// Listeners for xDS-enabled gRPC servers, one per endpoint address. With a
// cache, reuses what it holds and leaves in it what this call used.
std::shared_ptr<const xds::TypeResources> GenerateInboundListeners(
    const PushContext& context, const Proxy& proxy = {}, PartCache* cache = nullptr);
std::shared_ptr<const xds::TypeResources> GenerateRoutes(const PushContext& context,
                                                         const Proxy& proxy = {});
std::shared_ptr<const xds::TypeResources> GenerateClusters(const PushContext& context,
                                                           const Proxy& proxy = {});
std::shared_ptr<const xds::TypeResources> GenerateEndpoints(const PushContext& context,
                                                            const Proxy& proxy = {});

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_GENERATORS_GENERATORS_H_
