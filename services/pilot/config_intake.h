// ConfigIntake: Pilot's copy of Galley's configuration. The MCP client
// (libs/xds AdsClient) hands it each update; it decodes the envelopes, keeps
// the resources by type, and knows when every kind has arrived (before that,
// Pilot must not serve: a partial configuration is worse than none).
#ifndef KEEL_SERVICES_PILOT_CONFIG_INTAKE_H_
#define KEEL_SERVICES_PILOT_CONFIG_INTAKE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/mesh/resource.h"
#include "libs/xds/ads_client.h"
#include "services/pilot/push/dependencies.h"

namespace keel::pilot {

class ConfigIntake {
 public:
  // Apply stores one MCP update. Returns whether this update completed the
  // configuration (every kind has now arrived at least once), or
  // InvalidArgument naming the resource if it cannot be decoded (the MCP
  // client then NACKs it and nothing of it is kept).
  absl::StatusOr<bool> Apply(const xds::ResourceUpdate& update);

  struct Snapshot {
    std::vector<std::shared_ptr<const mesh::Resource>> resources;
    uint64_t version = 0;
  };
  // Current returns every resource held, and the version of the whole.
  Snapshot Current() const;

  // TakeChanges returns the configs added, changed or removed since the
  // last call (what the next push must regenerate for), and forgets them.
  std::set<ConfigKey> TakeChanges();

  // Take is TakeChanges and Current under one lock: the changes are
  // exactly those between the previous Take's snapshot and this one's, so
  // a change that lands meanwhile is either in both or in neither (taken
  // apart, it could enter the snapshot without its part being regenerated).
  struct Taken {
    std::set<ConfigKey> changes;
    Snapshot snapshot;
  };
  Taken Take();

  // Names returns the "namespace/name" of every resource, by type URL.
  std::map<std::string, std::vector<std::string>> Names() const;
  uint64_t version() const;

 private:
  Snapshot CurrentLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  // Type URL -> "namespace/name" -> resource.
  std::map<std::string, std::map<std::string, std::shared_ptr<const mesh::Resource>>> config_
      ABSL_GUARDED_BY(mu_);
  std::set<std::string> types_received_ ABSL_GUARDED_BY(mu_);
  std::set<ConfigKey> changes_ ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_CONFIG_INTAKE_H_
