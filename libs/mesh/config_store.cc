#include "libs/mesh/config_store.h"

#include <utility>

#include "libs/common/stable_hash.h"

namespace keel::mesh {

std::shared_ptr<const Resource> ConfigSnapshot::Find(const std::string& type_url,
                                                     const std::string& ns,
                                                     const std::string& name) const {
  auto type = types.find(type_url);
  if (type == types.end()) return nullptr;
  auto it = type->second.resources.find(ns + "/" + name);
  return it == type->second.resources.end() ? nullptr : it->second;
}

size_t ConfigSnapshot::size() const {
  size_t n = 0;
  for (const auto& [url, type] : types) n += type.resources.size();
  return n;
}

std::string TypeVersion(const std::map<std::string, std::shared_ptr<const Resource>>& resources) {
  StableHash hash;
  for (const auto& [key, resource] : resources) hash.Add(key).Add(resource->ContentHash());
  return hash.Hex();
}

class MemoryConfigStore::Handle : public ConfigStore::WatchHandle {
 public:
  Handle(MemoryConfigStore* store, int id) : store_(store), id_(id) {}
  ~Handle() override { store_->Unwatch(id_); }

 private:
  MemoryConfigStore* store_;
  int id_;
};

MemoryConfigStore::MemoryConfigStore() {
  auto empty = std::make_shared<ConfigSnapshot>();
  for (const KindInfo& kind : AllKinds()) {
    empty->types[kind.type_url()].version = TypeVersion({});
  }
  current_ = std::move(empty);
}

ConfigChange ConfigStore::Replace(std::vector<Resource> resources) {
  std::vector<std::shared_ptr<const Resource>> shared;
  shared.reserve(resources.size());
  for (Resource& resource : resources) {
    shared.push_back(std::make_shared<const Resource>(std::move(resource)));
  }
  return Replace(std::move(shared));
}

ConfigChange MemoryConfigStore::Replace(std::vector<std::shared_ptr<const Resource>> resources) {
  absl::MutexLock publish(&publish_mu_);
  std::shared_ptr<const ConfigSnapshot> previous = Current();

  auto next = std::make_shared<ConfigSnapshot>();
  for (const KindInfo& kind : AllKinds()) next->types[kind.type_url()];
  for (std::shared_ptr<const Resource>& resource : resources) {
    std::string key = resource->namespace_name + "/" + resource->name;
    next->types[resource->kind->type_url()].resources[std::move(key)] = std::move(resource);
  }

  ConfigChange change;
  for (auto& [type_url, type] : next->types) {
    const TypeSnapshot& old = previous->types.at(type_url);
    TypeChange type_change;
    for (auto& [key, resource] : type.resources) {
      auto it = old.resources.find(key);
      if (it == old.resources.end() ||
          (it->second != resource && it->second->ContentHash() != resource->ContentHash())) {
        type_change.updated.insert(key);
      } else {
        resource = it->second;  // unchanged: share the old object (and its positions)
      }
    }
    for (const auto& [key, resource] : old.resources) {
      if (type.resources.count(key) == 0) type_change.removed.insert(key);
    }
    if (type_change.updated.empty() && type_change.removed.empty()) {
      type.version = old.version;
    } else {
      type.version = TypeVersion(type.resources);
      change[type_url] = std::move(type_change);
    }
  }
  if (change.empty()) return change;

  next->generation = previous->generation + 1;
  std::shared_ptr<const ConfigSnapshot> published = std::move(next);
  std::vector<Watcher> watchers;
  {
    absl::MutexLock lock(&mu_);
    current_ = published;
    for (const auto& [id, watcher] : watchers_) watchers.push_back(watcher);
  }
  for (const Watcher& watcher : watchers) watcher(published, change);
  return change;
}

std::shared_ptr<const ConfigSnapshot> MemoryConfigStore::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

std::unique_ptr<ConfigStore::WatchHandle> MemoryConfigStore::Watch(Watcher watcher) {
  absl::MutexLock lock(&mu_);
  const int id = next_watch_id_++;
  watchers_[id] = std::move(watcher);
  return std::make_unique<Handle>(this, id);
}

void MemoryConfigStore::Unwatch(int id) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(id);
}

}  // namespace keel::mesh
