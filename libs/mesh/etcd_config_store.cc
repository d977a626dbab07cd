#include "libs/mesh/etcd_config_store.h"

#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
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
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return closing_ || resync_now_ || relist_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&wake), absl::Seconds(1));
      if (closing_) return;
      if (relist_) {
        relist_ = false;
        mu_.Unlock();
        absl::Status listed = Relist();
        if (!listed.ok()) {
          spdlog::error("etcd config store: {}", std::string(listed.message()));
          absl::MutexLock again(&mu_);
          relist_ = true;  // tried again in a second
        }
        mu_.Lock();
      }
      resync_now_ = false;
      if (!pending_.has_value()) continue;
      desired = *pending_;
    }
    ConfigChange change;
    const int failed = WriteDiff(desired, &change);
    if (failed == kNotTheWriter) continue;  // the folder's writer is another replica
    if (failed == 0) {
      absl::MutexLock lock(&mu_);
      // Done, unless a newer Replace came meanwhile.
      if (pending_.has_value() && *pending_ == desired) pending_.reset();
      spdlog::info("etcd config store: pending writes are in etcd ({} kinds changed)", change.size());
    }
  }
}

std::string EtcdConfigStore::Key(const Resource& resource) const {
  return Key(*resource.kind, resource.namespace_name, resource.name);
}

std::string EtcdConfigStore::Key(const KindInfo& kind, const std::string& ns,
                                 const std::string& name) const {
  return absl::StrCat(prefix_, kind.group, "/", kind.kind, "/", ns, "/", name);
}

namespace {

// A copy of `resource` marked as written by `source`.
std::shared_ptr<const Resource> WithSource(const Resource& resource, const char* source) {
  auto marked = std::make_shared<Resource>(resource);
  marked->annotations[EtcdConfigStore::kSourceAnnotation] = source;
  marked->content_hash = marked->ComputeContentHash();
  return marked;
}

bool FromFolder(const Resource& resource) {
  auto it = resource.annotations.find(EtcdConfigStore::kSourceAnnotation);
  return it != resource.annotations.end() && it->second == "folder";
}

}  // namespace

absl::Status EtcdConfigStore::Admit(const Resource& resource) const {
  // The put's framing (the key twice, lease and flags) takes a little more.
  constexpr size_t kFraming = 512;
  const size_t size =
      2 * Key(resource).size() + EncodeMcp(*WithSource(resource, "folder")).ByteSizeLong() + kFraming;
  if (size <= kMaxRequestBytes) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "stored in etcd it takes ", size, " bytes, more than the ", kMaxRequestBytes,
      " bytes etcd takes in one request (its --max-request-bytes): not stored, not served"));
}

absl::StatusOr<EtcdConfigStore::Version> EtcdConfigStore::Write(const Resource& resource) {
  if (absl::Status admitted = Admit(resource); !admitted.ok()) return admitted;
  std::shared_ptr<const Resource> marked = WithSource(resource, "api");
  const std::string key = Key(resource);
  absl::StatusOr<std::optional<etcd::KeyValue>> current = client_->Get(key);
  if (!current.ok()) return current.status();
  int64_t expected = 0;
  int64_t wanted = -1;  // metadata.resourceVersion, when given
  if (!resource.resource_version.empty() &&
      (!absl::SimpleAtoi(resource.resource_version, &wanted) || wanted < 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata.resourceVersion: \"", resource.resource_version,
                     "\" is not a revision (keelctl get prints the current one)"));
  }
  // Another writer got there first: say where the resource is now.
  auto conflict = [&](int64_t at) {
    return absl::AbortedError(absl::StrCat(
        "conflict: ", resource.DisplayName(), " is at revision ", at,
        at == 0 ? " (it does not exist)" : "",
        wanted >= 0 ? absl::StrCat(", not ", wanted, " (metadata.resourceVersion)") : "",
        ": another writer changed it; get it again and re-apply"));
  };
  if (wanted >= 0) {
    const int64_t at = current->has_value() ? (*current)->mod_revision : 0;
    if (at != wanted) return conflict(at);
  }
  if (current->has_value()) {
    expected = (*current)->mod_revision;
    absl::StatusOr<std::shared_ptr<const Resource>> stored = Decode(**current);
    if (stored.ok() && (*stored)->ContentHash() == marked->ContentHash()) {
      return Version{.resource = *stored, .revision = expected, .unchanged = true};
    }
  }
  absl::StatusOr<int64_t> written =
      client_->CompareAndPut(key, EncodeMcp(*marked).SerializeAsString(), expected);
  if (absl::IsAborted(written.status())) {
    absl::StatusOr<std::optional<etcd::KeyValue>> now = client_->Get(key);
    if (now.ok()) return conflict(now->has_value() ? (*now)->mod_revision : 0);
  }
  if (!written.ok()) return written.status();
  return Version{.resource = marked, .revision = *written};
}

absl::StatusOr<EtcdConfigStore::Version> EtcdConfigStore::Get(const KindInfo& kind, const std::string& ns,
                                                              const std::string& name) {
  return At(kind, ns, name, 0);
}

absl::StatusOr<EtcdConfigStore::Version> EtcdConfigStore::At(const KindInfo& kind, const std::string& ns,
                                                             const std::string& name, int64_t revision) {
  const std::string key = Key(kind, ns, name);
  absl::StatusOr<std::optional<etcd::KeyValue>> stored = client_->GetAt(key, revision);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    return absl::NotFoundError(absl::StrCat(kind.kind, " ", ns, "/", name, " does not exist",
                                            revision > 0 ? absl::StrCat(" at revision ", revision) : ""));
  }
  absl::StatusOr<std::shared_ptr<const Resource>> resource = Decode(**stored);
  if (!resource.ok()) return resource.status();
  return Version{.resource = *std::move(resource), .revision = (*stored)->mod_revision};
}

absl::StatusOr<int64_t> EtcdConfigStore::Remove(const KindInfo& kind, const std::string& ns,
                                                const std::string& name) {
  absl::StatusOr<Version> current = Get(kind, ns, name);
  if (!current.ok()) return current.status();
  return client_->CompareAndDelete(Key(kind, ns, name), current->revision);
}

absl::StatusOr<std::vector<EtcdConfigStore::Version>> EtcdConfigStore::History(
    const KindInfo& kind, const std::string& ns, const std::string& name) {
  // From the current version back: each version's predecessor is the key as
  // it was just before that version's revision.
  const std::string key = Key(kind, ns, name);
  std::vector<Version> versions;
  absl::StatusOr<std::optional<etcd::KeyValue>> stored = client_->Get(key);
  if (!stored.ok()) return stored.status();
  while (stored->has_value() && versions.size() < 1000) {
    absl::StatusOr<std::shared_ptr<const Resource>> resource = Decode(**stored);
    if (!resource.ok()) return resource.status();
    versions.push_back(Version{.resource = *resource, .revision = (*stored)->mod_revision});
    if ((*stored)->mod_revision <= (*stored)->create_revision) break;
    stored = client_->GetAt(key, (*stored)->mod_revision - 1);
    if (!stored.ok()) break;  // compacted: history ends here
  }
  if (versions.empty()) return absl::NotFoundError(absl::StrCat(kind.kind, " ", ns, "/", name, " does not exist"));
  return versions;
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
    // History we had not seen is gone: read the whole state again (on the
    // resync thread: this one is the watch's, which Relist replaces).
    spdlog::warn("etcd config store: revision {} compacted under the watch; listing again",
                 batch.compact_revision);
    absl::MutexLock lock(&mu_);
    relist_ = true;
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
  for (auto& resource : resources) desired[Key(*resource)] = WithSource(*resource, "folder");
  ConfigChange change;
  const int failed = WriteDiff(desired, &change);
  absl::MutexLock lock(&mu_);
  if (failed > 0) failed_writes_ += failed;
  if (failed != 0) {
    pending_ = std::move(desired);
  } else {
    pending_.reset();
  }
  return change;
}

void EtcdConfigStore::WriteOnlyWhileLeading(std::string leader_key,
                                            std::function<std::optional<int64_t>()> fence) {
  leader_key_ = std::move(leader_key);
  writer_fence_ = std::move(fence);
}

int EtcdConfigStore::WriteDiff(const std::map<std::string, std::shared_ptr<const Resource>>& desired,
                               ConfigChange* change) {
  std::vector<etcd::EtcdClient::Guard> guards;
  if (writer_fence_) {
    std::optional<int64_t> fence = writer_fence_();
    if (!fence.has_value()) return kNotTheWriter;
    guards.push_back({.key = leader_key_, .mod_revision = *fence});
  }
  std::map<std::string, Stored> current;
  {
    absl::MutexLock lock(&mu_);
    current = stored_;
  }
  int failed = 0;
  // Writes go in transactions of up to 64 guarded puts (one round trip and
  // one fsync for all); a batch that meets a conflict is retried one by one.
  std::vector<etcd::EtcdClient::GuardedPut> batch;
  std::vector<const Resource*> batched;
  auto write_one = [&](const etcd::EtcdClient::GuardedPut& put, const Resource& resource) {
    absl::StatusOr<int64_t> written =
        guards.empty() ? client_->CompareAndPut(put.key, put.value, put.expected_mod_revision)
                       : client_->CompareAndPutAll({put}, guards);
    if (!written.ok()) {
      ++failed;
      spdlog::warn("etcd config store: {}", std::string(written.status().message()));
      return;
    }
    (*change)[resource.kind->type_url()].updated.insert(resource.namespace_name + "/" + resource.name);
  };
  auto flush = [&]() {
    if (batch.empty()) return;
    absl::StatusOr<int64_t> written = client_->CompareAndPutAll(batch, guards);
    if (written.ok()) {
      for (const Resource* resource : batched) {
        (*change)[resource->kind->type_url()].updated.insert(resource->namespace_name + "/" +
                                                             resource->name);
      }
    } else {
      for (size_t i = 0; i < batch.size(); ++i) write_one(batch[i], *batched[i]);
    }
    batch.clear();
    batched.clear();
  };
  for (const auto& [key, resource] : desired) {
    auto it = current.find(key);
    if (it != current.end() && it->second.resource->ContentHash() == resource->ContentHash()) continue;
    batch.push_back({.key = key,
                     .value = EncodeMcp(*resource).SerializeAsString(),
                     .expected_mod_revision = it == current.end() ? 0 : it->second.mod_revision});
    batched.push_back(resource.get());
    if (batch.size() == 64) flush();
  }
  flush();
  for (const auto& [key, stored] : current) {
    // What the API wrote is not the folders' to delete.
    if (desired.count(key) > 0 || !FromFolder(*stored.resource)) continue;
    absl::StatusOr<int64_t> deleted = client_->CompareAndDelete(key, stored.mod_revision, guards);
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
