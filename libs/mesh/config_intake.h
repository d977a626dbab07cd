// ConfigIntake: a consumer's copy of Galley's configuration, the one MCP
// intake Pilot and Mixer share. The config feed (an MCP client, or Galley in
// the same process) hands it each update; it decodes the envelopes, keeps
// the resources by type, records what changed, and knows when every kind
// its consumer reads has arrived (before that, a consumer must not serve: a
// partial configuration is worse than none).
#ifndef KEEL_LIBS_MESH_CONFIG_INTAKE_H_
#define KEEL_LIBS_MESH_CONFIG_INTAKE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include <tuple>

#include "libs/mesh/resource.h"
#include "libs/mesh/schema.h"
#include "libs/xds/config_feed.h"

namespace keel::mesh {

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

class ConfigIntake {
 public:
  // What the intake subscribes to and keeps: the consumer's kinds, or every
  // kind in the table (for a consumer that also shows all config).
  enum Scope { kConsumedKinds, kEveryKind };

  // The intake of `consumer`: complete once every kind it reads has arrived.
  explicit ConfigIntake(Consumer consumer, Scope scope = kConsumedKinds);

  // The type URLs to subscribe to, from the table.
  const std::vector<std::string>& type_urls() const { return type_urls_; }
  // The type URLs that must have arrived for the config to be complete:
  // the consumer's kinds.
  const std::vector<std::string>& required_type_urls() const { return required_; }

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

  // Take returns the configs added, changed or removed since the last Take
  // (what the next push must regenerate for) and Current, under one lock:
  // the changes are exactly those between the previous Take's snapshot and
  // this one's, so a change that lands meanwhile is either in both or in
  // neither (taken apart, it could enter the snapshot without its part
  // being regenerated).
  struct Taken {
    std::set<ConfigKey> changes;
    Snapshot snapshot;
  };
  Taken Take();

  // Complete reports whether every required kind has arrived at least once.
  bool Complete() const;

  // Names returns the "namespace/name" of every resource, by type URL.
  std::map<std::string, std::vector<std::string>> Names() const;
  uint64_t version() const;

 private:
  Snapshot CurrentLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::vector<std::string> type_urls_;
  const std::vector<std::string> required_;
  mutable absl::Mutex mu_;
  // Type URL -> "namespace/name" -> resource.
  std::map<std::string, std::map<std::string, std::shared_ptr<const mesh::Resource>>> config_
      ABSL_GUARDED_BY(mu_);
  std::set<std::string> types_received_ ABSL_GUARDED_BY(mu_);
  std::set<ConfigKey> changes_ ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_CONFIG_INTAKE_H_
