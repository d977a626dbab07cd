// ConfigDiff: what a config change would do to each connected proxy's xDS
// resources, worked out before anything is written (keelctl diff). Both the
// current config and the changed one are generated from scratch the same
// way, so only what the change causes differs.
#ifndef KEEL_SERVICES_PILOT_SERVE_CONFIG_DIFF_H_
#define KEEL_SERVICES_PILOT_SERVE_CONFIG_DIFF_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "envoy/config/core/v3/base.pb.h"
#include "libs/mesh/resource.h"
#include "services/pilot/push/push_context.h"

namespace keel::pilot {

// A proxy as the ADS server knows it.
struct ConnectedProxy {
  std::string id;
  envoy::config::core::v3::Node node;
  // The names it asked for, by type URL.
  std::map<std::string, std::set<std::string>> subscribed;
};

struct ResourceChange {
  enum class Kind { kAdded, kRemoved, kChanged };
  std::string type_url;
  std::string name;
  Kind kind = Kind::kChanged;
  std::string before_json;  // "" when added
  std::string after_json;   // "" when removed
};

struct ProxyDiff {
  std::string proxy;
  std::vector<ResourceChange> changes;  // by type URL, then name
};

const char* ChangeKindName(ResourceChange::Kind kind);

// Overlay returns `base` with each of `changes` added, or replacing the
// resource of the same kind, namespace and name.
std::vector<std::shared_ptr<const mesh::Resource>> Overlay(
    const std::vector<std::shared_ptr<const mesh::Resource>>& base,
    const std::vector<std::shared_ptr<const mesh::Resource>>& changes);

// DiffProxies generates the resources of `before` and of `after` (each a
// whole config) and returns, for each proxy whose subscribed resources
// would differ, how. Proxies that would see no change are left out.
std::vector<ProxyDiff> DiffProxies(const std::vector<std::shared_ptr<const mesh::Resource>>& before,
                                   const std::vector<std::shared_ptr<const mesh::Resource>>& after,
                                   const PushOptions& options,
                                   const std::vector<ConnectedProxy>& proxies);

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_SERVE_CONFIG_DIFF_H_
