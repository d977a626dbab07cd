// EtcdConfigStore: the config store on an etcd cluster, so that config
// outlives any one machine and every Galley replica serves the same.
//
// Keys are /keel/v1/config/<group>/<kind>/<namespace>/<name>; values are
// the resource's MCP envelope (what Galley serves). Replace writes the
// difference between the desired set and what etcd holds, each key
// guarded by the mod revision this store last saw (compare-and-swap);
// Current and Watch reflect etcd, as its watch reports it, so a replica
// that writes nothing still follows every change.
#ifndef KEEL_LIBS_MESH_ETCD_CONFIG_STORE_H_
#define KEEL_LIBS_MESH_ETCD_CONFIG_STORE_H_

#include <functional>
#include <map>
#include <vector>
#include <optional>
#include <thread>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/etcd/client.h"
#include "libs/mesh/config_store.h"

namespace keel::mesh {

class EtcdConfigStore : public ConfigStore {
 public:
  // Open lists what etcd holds under `prefix`, then watches it. Fails when
  // etcd cannot be read.
  // `on_health` hears whether the store follows etcd: OK while its watch is
  // established, the reason while it is not (a partitioned member, no
  // quorum): then the snapshot may be stale.
  static absl::StatusOr<std::unique_ptr<EtcdConfigStore>> Open(
      std::shared_ptr<etcd::EtcdClient> client, std::string prefix = "/keel/v1/config/",
      std::function<void(const absl::Status&)> on_health = nullptr);
  ~EtcdConfigStore() override;

  using ConfigStore::Replace;
  // Replace writes the difference; the change it returns is what this
  // writer asked for (the snapshot follows when etcd's watch reports it).
  // Writes that fail (etcd without quorum, another writer first) are tried
  // again in the background, each second and whenever the watch comes back,
  // until etcd holds what the last Replace asked for: no accepted config is
  // lost to an outage.
  ConfigChange Replace(std::vector<std::shared_ptr<const Resource>> resources) override;
  // Refuses a resource whose stored form is larger than etcd takes in one
  // request (kMaxRequestBytes, etcd's default --max-request-bytes).
  absl::Status Admit(const Resource& resource) const override;
  static constexpr size_t kMaxRequestBytes = 1572864;
  std::shared_ptr<const ConfigSnapshot> Current() const override { return local_.Current(); }
  std::unique_ptr<WatchHandle> Watch(Watcher watcher) override { return local_.Watch(std::move(watcher)); }

  // Single resources, as Galley's config API writes them (marked as the
  // API's: a folder's Replace never deletes them).
  struct Version {
    std::shared_ptr<const Resource> resource;  // null: deleted at this revision
    int64_t revision = 0;
    bool unchanged = false;  // Write: the same content was there already
  };
  // Write stores `resource` over whatever version is current (compare-and-
  // swap on the version read: ABORTED, naming the revision, when another
  // writer got there between). A resource whose metadata.resourceVersion is
  // set is written only over that revision (0: only if it does not exist):
  // otherwise ABORTED naming the revision it is at.
  absl::StatusOr<Version> Write(const Resource& resource);
  absl::StatusOr<Version> Get(const KindInfo& kind, const std::string& ns, const std::string& name);
  // Remove deletes the current version (NotFound when there is none).
  absl::StatusOr<int64_t> Remove(const KindInfo& kind, const std::string& ns, const std::string& name);
  // History: every version etcd still has, newest first.
  absl::StatusOr<std::vector<Version>> History(const KindInfo& kind, const std::string& ns,
                                               const std::string& name);
  // At: the version current at store revision `revision`.
  absl::StatusOr<Version> At(const KindInfo& kind, const std::string& ns, const std::string& name,
                             int64_t revision);

  // WriteOnlyWhileLeading makes Replace write only while `fence` returns a
  // value: the revision of `leader_key`, held by this replica (see
  // etcd::LeaderElection), which every write then requires. What a
  // follower's Replace asks for waits, and is written once it leads; a
  // replica that lost the lead cannot write. Call before the first Replace.
  void WriteOnlyWhileLeading(std::string leader_key,
                             std::function<std::optional<int64_t>()> fence);

  const std::shared_ptr<etcd::EtcdClient>& client() const { return client_; }

  // The etcd revision the snapshot reflects.
  int64_t revision() const;
  // Writes that failed (conflicts, etcd unreachable) since the start.
  int64_t failed_writes() const;

  // Key is the etcd key of `resource`.
  std::string Key(const Resource& resource) const;
  std::string Key(const KindInfo& kind, const std::string& ns, const std::string& name) const;

  // The annotation saying who wrote a resource: "folder" (Replace) or "api".
  static constexpr char kSourceAnnotation[] = "keel.io/config-source";

 private:
  struct Stored {
    std::shared_ptr<const Resource> resource;
    int64_t mod_revision = 0;
  };
  EtcdConfigStore(std::shared_ptr<etcd::EtcdClient> client, std::string prefix,
                  std::function<void(const absl::Status&)> on_health)
      : client_(std::move(client)), prefix_(std::move(prefix)), on_health_(std::move(on_health)) {}
  // Relist reads everything again (at start, and after a compaction).
  absl::Status Relist();
  // WriteDiff writes what `desired` needs; returns how many writes failed,
  // or kNotTheWriter when this replica does not lead (nothing written).
  static constexpr int kNotTheWriter = -1;
  int WriteDiff(const std::map<std::string, std::shared_ptr<const Resource>>& desired,
                ConfigChange* change);
  void ResyncLoop();
  void Apply(const etcd::WatchBatch& batch);
  // Publish hands the stored set to the local store (which notifies).
  void Publish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::shared_ptr<const Resource>> Decode(const etcd::KeyValue& kv) const;

  const std::shared_ptr<etcd::EtcdClient> client_;
  const std::string prefix_;
  const std::function<void(const absl::Status&)> on_health_;
  MemoryConfigStore local_;
  mutable absl::Mutex mu_;
  std::map<std::string, Stored> stored_ ABSL_GUARDED_BY(mu_);  // by etcd key
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t failed_writes_ ABSL_GUARDED_BY(mu_) = 0;
  std::string leader_key_;  // set with writer_fence_, before any write
  std::function<std::optional<int64_t>()> writer_fence_;
  // What the last Replace asked for, while etcd does not hold all of it.
  std::optional<std::map<std::string, std::shared_ptr<const Resource>>> pending_ ABSL_GUARDED_BY(mu_);
  bool resync_now_ ABSL_GUARDED_BY(mu_) = false;
  bool relist_ ABSL_GUARDED_BY(mu_) = false;  // the watch's history was compacted
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<etcd::EtcdClient::Watch> watch_;
  std::thread resyncer_;
};

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_ETCD_CONFIG_STORE_H_
