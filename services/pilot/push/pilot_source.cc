#include "services/pilot/push/pilot_source.h"

#include "absl/strings/str_cat.h"
#include "services/pilot/generators/generators.h"
#include "services/pilot/push/proxy.h"

namespace keel::pilot {

std::set<std::string> PilotSource::Set(
    std::map<std::string, std::shared_ptr<const xds::TypeResources>> types,
    std::shared_ptr<const PushContext> context) {
  std::set<std::string> changed;
  absl::MutexLock lock(&mu_);
  for (auto& [type_url, resources] : types) {
    auto it = types_.find(type_url);
    if (it == types_.end() || it->second->version != resources->version) changed.insert(type_url);
    types_[type_url] = std::move(resources);
  }
  context_ = std::move(context);
  scoped_.clear();
  ready_ = true;
  return changed;
}

std::shared_ptr<const xds::TypeResources> PilotSource::Resources(
    const std::string& type_url, const envoy::config::core::v3::Node& node) {
  Proxy proxy = ProxyOf(node);
  // Endpoints depend on where the proxy is (locality load balancing); the
  // rest only on its namespace, and on nothing when no rule is scoped.
  if (type_url != kEndpointType) proxy.locality.clear();
  std::shared_ptr<const PushContext> context;
  std::string key;
  {
    absl::MutexLock lock(&mu_);
    auto it = types_.find(type_url);
    if (it == types_.end()) return nullptr;
    if (context_ == nullptr || (context_->NamespaceIndependent() && proxy.locality.empty())) {
      return it->second;
    }
    // What a proxy sees depends on its namespace, the Sidecar that applies
    // to it, and (endpoints) its locality.
    const Typed<net::Sidecar>* sidecar = context_->SidecarResourceFor(proxy);
    key = absl::StrCat(type_url, "|", proxy.namespace_name, "|", proxy.locality, "|",
                       sidecar == nullptr ? "" : sidecar->resource->Key());
    if (auto cached = scoped_.find(key); cached != scoped_.end()) return cached->second;
    context = context_;
  }
  // Generated without the lock: other streams' lookups do not wait on it.
  std::shared_ptr<const xds::TypeResources> generated = Generators().at(type_url)(*context, proxy);
  absl::MutexLock lock(&mu_);
  // The key comes from the client (its namespace and locality): the cache
  // is bounded, past it a view is generated for each ask and not kept.
  if (context_ == context && scoped_.size() < kMaxScopedViews) {
    auto [it, inserted] = scoped_.emplace(key, generated);
    return it->second;
  }
  return generated;
}

bool PilotSource::Serves(const std::string& type_url) const {
  return Generators().count(type_url) > 0;
}

size_t PilotSource::CachedViews() const {
  absl::MutexLock lock(&mu_);
  return scoped_.size();
}

std::shared_ptr<const PushContext> PilotSource::context() const {
  absl::MutexLock lock(&mu_);
  return context_;
}

}  // namespace keel::pilot
