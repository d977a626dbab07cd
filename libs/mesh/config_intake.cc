#include "libs/mesh/config_intake.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/mesh/mcp.h"

namespace keel::mesh {
namespace {

std::vector<std::string> TypeUrlsOf(Consumer consumer) {
  std::vector<std::string> type_urls;
  for (const KindInfo* kind : KindsConsumedBy(consumer)) type_urls.push_back(kind->type_url());
  return type_urls;
}

std::vector<std::string> EveryTypeUrl() {
  std::vector<std::string> type_urls;
  for (const KindInfo& kind : AllKinds()) type_urls.push_back(kind.type_url());
  return type_urls;
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

ConfigIntake::ConfigIntake(Consumer consumer, Scope scope)
    : type_urls_(scope == kEveryKind ? EveryTypeUrl() : TypeUrlsOf(consumer)),
      required_(TypeUrlsOf(consumer)) {}

absl::StatusOr<bool> ConfigIntake::Apply(const xds::ResourceUpdate& update) {
  const KindInfo* kind = FindKindByTypeUrl(update.type_url);
  if (kind == nullptr || !Contains(type_urls_, update.type_url)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown type ", update.type_url));
  }
  std::map<std::string, std::shared_ptr<const mesh::Resource>> decoded;
  for (const auto& [name, wire] : update.updated) {
    // In one process (keel) Galley hands over the resource itself: nothing
    // to decode. Over MCP, the envelope is decoded.
    if (const auto* local = dynamic_cast<const LocalResource*>(wire->local.get());
        local != nullptr && local->resource->kind == kind) {
      decoded[name] = local->resource;
      continue;
    }
    absl::StatusOr<std::shared_ptr<const Resource>> resource =
        DecodeMcp(*kind, wire->body);
    if (!resource.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(update.type_url, " ", name, ": ", resource.status().message()));
    }
    decoded[name] = *std::move(resource);
  }
  absl::MutexLock lock(&mu_);
  auto& type = config_[update.type_url];
  auto note = [&](const std::string& name) {
    // Names are "namespace/name", read as the resources themselves are.
    McpNameParts parts = SplitMcpName(name);
    changes_.insert(ConfigKey{.kind = kind->kind,
                              .namespace_name = std::move(parts.namespace_name),
                              .name = std::move(parts.name)});
  };
  // A state-of-the-world update is the whole type: what it leaves out is gone.
  if (update.full_state) {
    for (auto it = type.begin(); it != type.end();) {
      if (decoded.count(it->first) > 0) {
        ++it;
        continue;
      }
      note(it->first);
      it = type.erase(it);
    }
  }
  for (const std::string& name : update.removed) {
    if (type.erase(name) > 0) note(name);
  }
  for (auto& [name, resource] : decoded) {
    auto it = type.find(name);
    // A resource resent unchanged (after a reconnect) is no change.
    if (it != type.end() && it->second->ContentHash() == resource->ContentHash()) continue;
    note(name);
    type[name] = std::move(resource);
  }
  ++version_;
  const size_t all = required_.size();
  const bool had_all = types_received_.size() == all;
  if (Contains(required_, update.type_url)) types_received_.insert(update.type_url);
  return !had_all && types_received_.size() == all;
}

bool ConfigIntake::Complete() const {
  absl::MutexLock lock(&mu_);
  return types_received_.size() == required_.size();
}

ConfigIntake::Snapshot ConfigIntake::Current() const {
  absl::MutexLock lock(&mu_);
  return CurrentLocked();
}

ConfigIntake::Snapshot ConfigIntake::CurrentLocked() const {
  Snapshot snapshot{.version = version_};
  for (const auto& [type_url, type] : config_) {
    for (const auto& [name, resource] : type) snapshot.resources.push_back(resource);
  }
  return snapshot;
}

ConfigIntake::Taken ConfigIntake::Take() {
  absl::MutexLock lock(&mu_);
  return Taken{.changes = std::exchange(changes_, {}), .snapshot = CurrentLocked()};
}

std::map<std::string, std::vector<std::string>> ConfigIntake::Names() const {
  absl::MutexLock lock(&mu_);
  std::map<std::string, std::vector<std::string>> names;
  for (const auto& [type_url, type] : config_) {
    auto& list = names[type_url];
    for (const auto& [name, resource] : type) list.push_back(name);
  }
  return names;
}

uint64_t ConfigIntake::version() const {
  absl::MutexLock lock(&mu_);
  return version_;
}

}  // namespace keel::mesh
