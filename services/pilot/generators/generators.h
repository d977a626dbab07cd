// One generator per xDS type, each turning a PushContext into every resource
// of its type (the server sends each client the names it asks for). Wired by
// type URL in Generators(), as Istio's Pilot does.
#ifndef KEEL_SERVICES_PILOT_GENERATORS_GENERATORS_H_
#define KEEL_SERVICES_PILOT_GENERATORS_GENERATORS_H_

#include <map>
#include <memory>
#include <string>

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

using Generator = std::shared_ptr<const xds::TypeResources> (*)(const PushContext& context);

// Generators maps each type URL to its generator.
const std::map<std::string, Generator>& Generators();

// ClusterName is Istio's outbound cluster name: "outbound|PORT|SUBSET|HOST".
std::string ClusterName(uint32_t port, const std::string& subset, const std::string& host);

std::shared_ptr<const xds::TypeResources> GenerateListeners(const PushContext& context);
std::shared_ptr<const xds::TypeResources> GenerateRoutes(const PushContext& context);
std::shared_ptr<const xds::TypeResources> GenerateClusters(const PushContext& context);
std::shared_ptr<const xds::TypeResources> GenerateEndpoints(const PushContext& context);

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_GENERATORS_GENERATORS_H_
