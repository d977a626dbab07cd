// The config store: the current set of valid resources, as immutable
// versioned snapshots, and watchers told what changed.
//
// ConfigStore is the interface (files feed it today; a distributed store
// later), MemoryConfigStore the in-process implementation. Versions are
// opaque strings derived from content, so the same resources always give the
// same versions, across restarts and replicas.
#ifndef KEEL_LIBS_MESH_CONFIG_STORE_H_
#define KEEL_LIBS_MESH_CONFIG_STORE_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "libs/mesh/resource.h"

namespace keel::mesh {

// All resources of one kind at one moment.
struct TypeSnapshot {
  std::string version;  // deterministic: a hash of every resource's content
  // "namespace/name" -> resource
  std::map<std::string, std::shared_ptr<const Resource>> resources;
};

// Every kind at one moment; never changes once published.
struct ConfigSnapshot {
  uint64_t generation = 0;                    // increases by one per published change
  std::map<std::string, TypeSnapshot> types;  // by type URL; every kind present, maybe empty

  // Find returns a resource or null.
  std::shared_ptr<const Resource> Find(const std::string& type_url, const std::string& ns,
                                       const std::string& name) const;
  size_t size() const;
};

// What one publication changed, per type URL.
struct TypeChange {
  std::set<std::string> updated;  // "namespace/name", added or changed
  std::set<std::string> removed;
};
using ConfigChange = std::map<std::string, TypeChange>;

class ConfigStore {
 public:
  using Watcher = std::function<void(std::shared_ptr<const ConfigSnapshot>, const ConfigChange&)>;

  // Cancels the watch when destroyed.
  class WatchHandle {
   public:
    virtual ~WatchHandle() = default;
  };

  virtual ~ConfigStore() = default;

  // Replace makes `resources` the complete valid set. Returns the change
  // (empty when nothing really changed; then no new snapshot is published
  // and watchers are not called).
  // Resources given as the same objects as in the current snapshot are
  // unchanged without being compared.
  virtual ConfigChange Replace(std::vector<std::shared_ptr<const Resource>> resources) = 0;
  // Replace for resources by value (tests, small sets).
  ConfigChange Replace(std::vector<Resource> resources);

  // Admit says whether `resource` can be kept in this store at all (etcd
  // refuses a request larger than its limit); the error names the limit and
  // the size. Sources ask before Replace, so that such a resource is an
  // error of its file rather than a write that fails in the background.
  virtual absl::Status Admit(const Resource& resource) const { return absl::OkStatus(); }

  // Current returns the latest snapshot.
  virtual std::shared_ptr<const ConfigSnapshot> Current() const = 0;

  // Watch calls `watcher` after every published change, in order, never
  // concurrently with itself.
  virtual std::unique_ptr<WatchHandle> Watch(Watcher watcher) = 0;
};

class MemoryConfigStore : public ConfigStore {
 public:
  MemoryConfigStore();

  using ConfigStore::Replace;
  ConfigChange Replace(std::vector<std::shared_ptr<const Resource>> resources) override;
  std::shared_ptr<const ConfigSnapshot> Current() const override;
  std::unique_ptr<WatchHandle> Watch(Watcher watcher) override;

 private:
  class Handle;
  void Unwatch(int id);

  absl::Mutex publish_mu_;  // serializes Replace and watcher calls
  mutable absl::Mutex mu_;
  std::shared_ptr<const ConfigSnapshot> current_ ABSL_GUARDED_BY(mu_);
  std::map<int, Watcher> watchers_ ABSL_GUARDED_BY(mu_);
  int next_watch_id_ ABSL_GUARDED_BY(mu_) = 0;
};

// TypeVersion computes the deterministic version of a set of resources.
std::string TypeVersion(const std::map<std::string, std::shared_ptr<const Resource>>& resources);

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_CONFIG_STORE_H_
