#include "services/pilot/serve/pilot_source.h"

#include "absl/strings/str_cat.h"
#include "services/pilot/generators/table.h"
#include "services/pilot/push/proxy.h"

namespace keel::pilot {

// One push: its unscoped resources, its context, and the scoped views
// generated from them on demand.
class PilotSource::PushView : public xds::ResourceView {
 public:
  PushView(std::map<std::string, std::shared_ptr<const xds::TypeResources>> types,
           std::shared_ptr<const PushContext> context)
      : types_(std::move(types)), context_(std::move(context)) {}

  std::shared_ptr<const xds::TypeResources> Resources(
      const std::string& type_url, const envoy::config::core::v3::Node& node) override {
    auto it = types_.find(type_url);
    if (it == types_.end()) return nullptr;
    Proxy proxy = ProxyOf(node);
    // Endpoints depend on where the proxy is (locality load balancing); the
    // rest only on its namespace, and on nothing when no rule is scoped.
    if (type_url != kEndpointType) proxy.locality.clear();
    if (context_->NamespaceIndependent() && proxy.locality.empty()) return it->second;
    // What a proxy sees depends on its namespace, the Sidecar that applies
    // to it, and (endpoints) its locality.
    const Typed<net::Sidecar>* sidecar = context_->SidecarResourceFor(proxy);
    const std::string key =
        absl::StrCat(type_url, "|", proxy.namespace_name, "|", proxy.locality, "|",
                     sidecar == nullptr ? "" : sidecar->resource->Key());
    {
      absl::MutexLock lock(&mu_);
      if (auto cached = scoped_.find(key); cached != scoped_.end()) return cached->second;
    }
    // Generated without the lock: other streams' lookups do not wait on it.
    std::shared_ptr<const xds::TypeResources> generated = GenerateType(type_url, *context_, proxy);
    absl::MutexLock lock(&mu_);
    // The key comes from the client (its namespace and locality): the cache
    // is bounded, past it a view is generated for each ask and not kept.
    if (scoped_.size() < kMaxScopedViews) {
      auto [cached, inserted] = scoped_.emplace(key, generated);
      return cached->second;
    }
    return generated;
  }

  const std::map<std::string, std::shared_ptr<const xds::TypeResources>>& types() const {
    return types_;
  }
  const std::shared_ptr<const PushContext>& context() const { return context_; }
  size_t CachedViews() const {
    absl::MutexLock lock(&mu_);
    return scoped_.size();
  }

 private:
  const std::map<std::string, std::shared_ptr<const xds::TypeResources>> types_;
  const std::shared_ptr<const PushContext> context_;
  mutable absl::Mutex mu_;
  // Views generated for scoped proxies, by "type|namespace|locality|sidecar".
  std::map<std::string, std::shared_ptr<const xds::TypeResources>> scoped_ ABSL_GUARDED_BY(mu_);
};

std::set<std::string> PilotSource::Set(
    std::map<std::string, std::shared_ptr<const xds::TypeResources>> types,
    std::shared_ptr<const PushContext> context) {
  auto view = std::make_shared<PushView>(std::move(types), std::move(context));
  std::set<std::string> changed;
  absl::MutexLock lock(&mu_);
  for (const auto& [type_url, resources] : view->types()) {
    const xds::TypeResources* before = nullptr;
    if (current_ != nullptr) {
      auto it = current_->types().find(type_url);
      if (it != current_->types().end()) before = it->second.get();
    }
    if (before == nullptr || before->version != resources->version) changed.insert(type_url);
  }
  current_ = std::move(view);
  ready_ = true;
  return changed;
}

std::shared_ptr<PilotSource::PushView> PilotSource::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

std::shared_ptr<const xds::TypeResources> PilotSource::Resources(
    const std::string& type_url, const envoy::config::core::v3::Node& node) {
  std::shared_ptr<PushView> view = Current();
  return view == nullptr ? nullptr : view->Resources(type_url, node);
}

std::shared_ptr<xds::ResourceView> PilotSource::Pin() { return Current(); }

bool PilotSource::Serves(const std::string& type_url) const { return Generates(type_url); }

size_t PilotSource::CachedViews() const {
  std::shared_ptr<PushView> view = Current();
  return view == nullptr ? 0 : view->CachedViews();
}

std::shared_ptr<const PushContext> PilotSource::context() const {
  std::shared_ptr<PushView> view = Current();
  return view == nullptr ? nullptr : view->context();
}

}  // namespace keel::pilot
