#include "services/pilot/push/dependencies.h"

#include <map>
#include <vector>

namespace keel::pilot {
namespace {

// The kinds each part reads, through PushContext and the generators. Every
// part reads ServiceEntry (the services), Sidecar (what a proxy sees) and
// EnvoyFilter (patches) except endpoints, which no filter patches.
const std::map<Part, std::vector<std::string>>& KindsReadBy() {
  static const auto* const kKinds = new std::map<Part, std::vector<std::string>>{
      {Part::kOutboundListeners, {"ServiceEntry", "Sidecar", "EnvoyFilter", "VirtualService"}},
      {Part::kInboundListeners,
       {"ServiceEntry", "Sidecar", "EnvoyFilter", "WorkloadEntry", "AuthorizationPolicy",
        "PeerAuthentication", "Policy", "MeshPolicy", "ServiceRole", "ServiceRoleBinding",
        "ClusterRbacConfig", "RbacConfig"}},
      {Part::kRoutes,
       {"ServiceEntry", "Sidecar", "EnvoyFilter", "VirtualService", "DestinationRule"}},
      {Part::kClusters, {"ServiceEntry", "Sidecar", "EnvoyFilter", "DestinationRule"}},
      {Part::kEndpoints, {"ServiceEntry", "Sidecar", "WorkloadEntry", "DestinationRule"}},
  };
  return *kKinds;
}

}  // namespace

const char* PartName(Part part) {
  switch (part) {
    case Part::kOutboundListeners:
      return "LDS outbound";
    case Part::kInboundListeners:
      return "LDS inbound";
    case Part::kRoutes:
      return "RDS";
    case Part::kClusters:
      return "CDS";
    case Part::kEndpoints:
      return "EDS";
  }
  return "?";
}

std::set<Part> PartsAffectedBy(const std::set<ConfigKey>& changes) {
  std::set<std::string> kinds;
  for (const ConfigKey& key : changes) kinds.insert(key.kind);
  std::set<Part> parts;
  for (const auto& [part, read] : KindsReadBy()) {
    for (const std::string& kind : read) {
      if (kinds.count(kind) > 0) parts.insert(part);
    }
  }
  return parts;
}

}  // namespace keel::pilot
