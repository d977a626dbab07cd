// PilotSource: what Pilot's ADS server serves from. Each push installs a
// PushView: the PushContext and the resources generated for the unscoped
// view. When every namespace sees the same config
// (PushContext::NamespaceIndependent), every proxy shares those. Otherwise
// (exportTo, namespace-local rules, Sidecars) a proxy gets resources
// generated for its namespace, once per push and namespace (what a proxy may
// see depends only on its namespace); endpoints also per locality when the
// proxy has one (locality load balancing).
//
// A stream pins one push's view while it answers a round of types, so the
// types a push wakes reach a client from that one push, never clusters of
// one push with endpoints of the next.
#ifndef KEEL_SERVICES_PILOT_SERVE_PILOT_SOURCE_H_
#define KEEL_SERVICES_PILOT_SERVE_PILOT_SOURCE_H_

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "libs/xds/resources.h"
#include "services/pilot/push/push_context.h"

namespace keel::pilot {

class PilotSource : public xds::ResourceSource {
 public:
  // Set installs a push's unscoped resources (every generated type) and
  // context; returns the type URLs whose unscoped resources changed.
  std::set<std::string> Set(std::map<std::string, std::shared_ptr<const xds::TypeResources>> types,
                            std::shared_ptr<const PushContext> context);
  std::shared_ptr<const xds::TypeResources> Resources(
      const std::string& type_url, const envoy::config::core::v3::Node& node) override;
  // The last push's view (null before the first).
  std::shared_ptr<xds::ResourceView> Pin() override;
  bool Serves(const std::string& type_url) const override;
  bool Ready() const override { return ready_; }
  std::shared_ptr<const PushContext> context() const;
  // CachedViews returns how many scoped views the last push's view holds
  // (at most kMaxScopedViews).
  size_t CachedViews() const;

  static constexpr size_t kMaxScopedViews = 4096;

 private:
  class PushView;

  std::shared_ptr<PushView> Current() const;

  mutable absl::Mutex mu_;
  std::shared_ptr<PushView> current_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> ready_{false};
};

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_SERVE_PILOT_SOURCE_H_
