#include "libs/mesh/etcd_config_store.h"

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/mesh/mcp.h"
#include "libs/mesh/schema.h"
#include "spdlog/spdlog.h"

namespace keel::mesh {

absl::StatusOr<std::unique_ptr<EtcdConfigStore>> EtcdConfigStore::Open(
    std::shared_ptr<etcd::EtcdClient> client, std::string prefix,
    std::function<void(const absl::Status&)> on_health) {
  auto store = std::unique_ptr<EtcdConfigStore>(
      new EtcdConfigStore(std::move(client), std::move(prefix), std::move(on_health)));
  if (absl::Status listed = store->Relist(); !listed.ok()) return listed;
  store->resyncer_ = std::thread([raw = store.get()] { raw->ResyncLoop(); });
  return store;
}

EtcdConfigStore::~EtcdConfigStore() {
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  if (resyncer_.joinable()) resyncer_.join();
  watch_.reset();
}

void EtcdConfigStore::ResyncLoop() {
  while (true) {
    std::map<std::string, std::shared_ptr<const Resource>> desired;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closing_ || resync_now_; };
      mu_.AwaitWithTimeout(absl::Condition(&wake), absl::Seconds(1));
      if (closing_) return;
      resync_now_ = false;
      if (!pending_.has_value()) continue;
      desired = *pending_;
    }
    ConfigChange change;
    if (WriteDiff(desired, &change) == 0) {
      absl::MutexLock lock(&mu_);
      // Done, unless a newer Replace came meanwhile.
      if (pending_.has_value() && *pending_ == desired) pending_.reset();
      spdlog::info("etcd config store: pending writes are in etcd ({} kinds changed)", change.size());
    }
  }
}

std::string EtcdConfigStore::Key(const Resource& resource) const {
  return absl::StrCat(prefix_, resource.kind->group, "/", resource.kind->kind, "/",
                      resource.namespace_name, "/", resource.name);
}

absl::StatusOr<std::shared_ptr<const Resource>> EtcdConfigStore::Decode(const etcd::KeyValue& kv) const {
  // <prefix><group>/<kind>/<namespace>/<name>
  std::vector<std::string> parts = absl::StrSplit(kv.key.substr(prefix_.size()), '/');
  if (parts.size() != 4) return absl::InvalidArgumentError("unexpected key " + kv.key);
  const KindInfo* kind = nullptr;
  for (const KindInfo& info : AllKinds()) {
    if (info.group == parts[0] && info.kind == parts[1]) kind = &info;
  }
  if (kind == nullptr) return absl::InvalidArgumentError("unknown kind in key " + kv.key);
  google::protobuf::Any body;
  if (!body.ParseFromString(kv.value)) return absl::InvalidArgumentError("unreadable value at " + kv.key);
  return DecodeMcp(*kind, body);
}

absl::Status EtcdConfigStore::Relist() {
  watch_.reset();
  absl::StatusOr<etcd::EtcdClient::Listing> listing = client_->GetPrefix(prefix_);
  if (!listing.ok()) return listing.status();
  {
    absl::MutexLock lock(&mu_);
    stored_.clear();
    for (const etcd::KeyValue& kv : listing->kvs) {
      absl::StatusOr<std::shared_ptr<const Resource>> resource = Decode(kv);
      if (!resource.ok()) {
        spdlog::error("etcd config store: skipping {}: {}", kv.key, std::string(resource.status().message()));
        continue;
      }
      stored_[kv.key] = Stored{.resource = *std::move(resource), .mod_revision = kv.mod_revision};
    }
    revision_ = listing->revision;
    Publish();
  }
  watch_ = client_->WatchPrefix(
      prefix_, listing->revision + 1, [this](const etcd::WatchBatch& batch) { Apply(batch); },
      [this](const absl::Status& health) {
        if (health.ok()) {
          absl::MutexLock lock(&mu_);
          resync_now_ = true;  // etcd is back: write what is pending now
        }
        if (on_health_) on_health_(health);
      });
  return absl::OkStatus();
}

void EtcdConfigStore::Apply(const etcd::WatchBatch& batch) {
  if (batch.compact_revision > 0) {
    // History we had not seen is gone: read the whole state again (from
    // another thread: this one is the watch's, which Relist replaces).
    spdlog::warn("etcd config store: revision {} compacted under the watch; listing again",
                 batch.compact_revision);
    std::thread([this] {
      absl::Status listed = Relist();
      if (!listed.ok()) spdlog::error("etcd config store: {}", std::string(listed.message()));
    }).detach();
    return;
  }
  absl::MutexLock lock(&mu_);
  for (const etcd::WatchEvent& event : batch.events) {
    if (event.deleted) {
      stored_.erase(event.kv.key);
      continue;
    }
    absl::StatusOr<std::shared_ptr<const Resource>> resource = Decode(event.kv);
    if (!resource.ok()) {
      spdlog::error("etcd config store: skipping {}: {}", event.kv.key,
                    std::string(resource.status().message()));
      continue;
    }
    stored_[event.kv.key] = Stored{.resource = *std::move(resource), .mod_revision = event.kv.mod_revision};
  }
  revision_ = std::max(revision_, batch.revision);
  Publish();
}

void EtcdConfigStore::Publish() {
  std::vector<std::shared_ptr<const Resource>> all;
  all.reserve(stored_.size());
  for (const auto& [key, stored] : stored_) all.push_back(stored.resource);
  local_.Replace(std::move(all));
}

ConfigChange EtcdConfigStore::Replace(std::vector<std::shared_ptr<const Resource>> resources) {
  std::map<std::string, std::shared_ptr<const Resource>> desired;
  for (auto& resource : resources) desired[Key(*resource)] = std::move(resource);
  ConfigChange change;
  const int failed = WriteDiff(desired, &change);
  absl::MutexLock lock(&mu_);
  failed_writes_ += failed;
  if (failed > 0) {
    pending_ = std::move(desired);
  } else {
    pending_.reset();
  }
  return change;
}

int EtcdConfigStore::WriteDiff(const std::map<std::string, std::shared_ptr<const Resource>>& desired,
                               ConfigChange* change) {
  std::map<std::string, Stored> current;
  {
    absl::MutexLock lock(&mu_);
    current = stored_;
  }
  int failed = 0;
  for (const auto& [key, resource] : desired) {
    auto it = current.find(key);
    if (it != current.end() && it->second.resource->ContentHash() == resource->ContentHash()) continue;
    google::protobuf::Any body = EncodeMcp(*resource);
    absl::StatusOr<int64_t> written = client_->CompareAndPut(
        key, body.SerializeAsString(), it == current.end() ? 0 : it->second.mod_revision);
    if (!written.ok()) {
      ++failed;
      spdlog::warn("etcd config store: {}", std::string(written.status().message()));
      continue;
    }
    (*change)[resource->kind->type_url()].updated.insert(resource->namespace_name + "/" +
                                                         resource->name);
  }
  for (const auto& [key, stored] : current) {
    if (desired.count(key) > 0) continue;
    absl::StatusOr<int64_t> deleted = client_->CompareAndDelete(key, stored.mod_revision);
    if (!deleted.ok()) {
      ++failed;
      spdlog::warn("etcd config store: {}", std::string(deleted.status().message()));
      continue;
    }
    (*change)[stored.resource->kind->type_url()].removed.insert(stored.resource->namespace_name +
                                                                "/" + stored.resource->name);
  }
  return failed;
}

int64_t EtcdConfigStore::revision() const {
  absl::MutexLock lock(&mu_);
  return revision_;
}

int64_t EtcdConfigStore::failed_writes() const {
  absl::MutexLock lock(&mu_);
  return failed_writes_;
}

}  // namespace keel::mesh
