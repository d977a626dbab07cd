#include "services/galley/mcp_source.h"

#include "libs/mesh/mcp.h"

namespace keel::galley {

xds::XdsResource ToMcpResource(std::shared_ptr<const mesh::Resource> resource) {
  xds::XdsResource out;
  out.name = mesh::McpName(*resource);
  out.version = mesh::McpVersion(*resource);
  out.body = mesh::EncodeMcp(*resource);
  out.local = std::make_shared<const mesh::LocalResource>(std::move(resource));
  return out;
}

void McpSource::Update(const mesh::ConfigSnapshot& snapshot, const mesh::ConfigChange* change) {
  absl::MutexLock lock(&mu_);
  for (const auto& [type_url, type] : snapshot.types) {
    auto existing = types_.find(type_url);
    if (change != nullptr && change->count(type_url) == 0 && existing != types_.end()) continue;
    // A full update leaves a type already built at this version as it is
    // (Galley's start makes one after its first load already published).
    if (change == nullptr && existing != types_.end() &&
        existing->second->version == type.version) {
      continue;
    }
    auto next = std::make_shared<xds::TypeResources>();
    next->version = type.version;
    for (const auto& [key, resource] : type.resources) {
      // Unchanged resources keep their envelope from the previous build.
      if (existing != types_.end() && change != nullptr &&
          change->at(type_url).updated.count(key) == 0) {
        auto old = existing->second->resources.find(key);
        if (old != existing->second->resources.end()) {
          next->resources[key] = old->second;
          continue;
        }
      }
      next->resources[key] = std::make_shared<const xds::XdsResource>(ToMcpResource(resource));
    }
    types_[type_url] = std::move(next);
  }
}

std::shared_ptr<const xds::TypeResources> McpSource::Resources(
    const std::string& type_url, const envoy::config::core::v3::Node&) {
  absl::MutexLock lock(&mu_);
  auto it = types_.find(type_url);
  return it == types_.end() ? nullptr : it->second;
}

bool McpSource::Serves(const std::string& type_url) const {
  return mesh::FindKindByTypeUrl(type_url) != nullptr;
}

}  // namespace keel::galley
