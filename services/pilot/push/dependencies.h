// Which generated resources a config change makes stale: the dependency
// index behind incremental pushes (Istio's ConfigKey -> push scope).
//
// Pilot generates its resources in parts; each part lists the config kinds
// it reads. A push regenerates only the parts a change touches and reuses
// the rest as they were (an unchanged part keeps its versions, so no stream
// is sent it again). A WorkloadEntry change regenerates endpoints and the
// inbound listeners of xDS-enabled servers, never clusters or routes
// (Istio #20100); a VirtualService change, routes and outbound listeners.
#ifndef KEEL_SERVICES_PILOT_PUSH_DEPENDENCIES_H_
#define KEEL_SERVICES_PILOT_PUSH_DEPENDENCIES_H_

#include <set>
#include <string>
#include <tuple>

namespace keel::pilot {

// One changed config: its kind ("VirtualService"), namespace and name.
struct ConfigKey {
  std::string kind;
  std::string namespace_name;
  std::string name;

  bool operator==(const ConfigKey& other) const {
    return std::tie(kind, namespace_name, name) ==
           std::tie(other.kind, other.namespace_name, other.name);
  }
  bool operator<(const ConfigKey& other) const {
    return std::tie(kind, namespace_name, name) <
           std::tie(other.kind, other.namespace_name, other.name);
  }
};

// The parts Pilot generates separately.
enum class Part {
  kOutboundListeners,  // LDS: one API listener per service port (clients)
  kInboundListeners,   // LDS: one listener per endpoint (xDS-enabled servers)
  kRoutes,             // RDS
  kClusters,           // CDS
  kEndpoints,          // EDS
};

inline constexpr Part kAllParts[] = {Part::kOutboundListeners, Part::kInboundListeners,
                                     Part::kRoutes, Part::kClusters, Part::kEndpoints};

// PartName: "LDS outbound", "RDS"... (logs and metrics).
const char* PartName(Part part);

// PartsAffectedBy returns the parts that read any of the changed configs'
// kinds. Kinds no generator reads (Gateway, Mixer's) affect none.
std::set<Part> PartsAffectedBy(const std::set<ConfigKey>& changes);

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_PUSH_DEPENDENCIES_H_
