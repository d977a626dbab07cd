// McpSource serves the config store over MCP-over-xDS: one type URL per
// kind ("networking.istio.io/v1alpha3/VirtualService"), each resource an
// istio.mcp.v1alpha1.Resource envelope (metadata + the typed spec as Any).
// Envelopes are built once per published snapshot, not per client.
#ifndef KEEL_SERVICES_GALLEY_MCP_SOURCE_H_
#define KEEL_SERVICES_GALLEY_MCP_SOURCE_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "libs/mesh/config_store.h"
#include "libs/xds/resources.h"

namespace keel::galley {

class McpSource : public xds::ResourceSource {
 public:
  // Update rebuilds the envelopes of the changed types from `snapshot`.
  void Update(const mesh::ConfigSnapshot& snapshot, const mesh::ConfigChange* change);

  // MarkReady is called once the first full load is published.
  void MarkReady() { ready_ = true; }

  std::shared_ptr<const xds::TypeResources> Resources(
      const std::string& type_url, const envoy::config::core::v3::Node& node) override;
  bool Serves(const std::string& type_url) const override;
  bool Ready() const override { return ready_; }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const xds::TypeResources>> types_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> ready_{false};
};

// ToMcpResource wraps one resource in its MCP envelope, with the resource
// attached for consumers in the same process (mesh::LocalResource).
xds::XdsResource ToMcpResource(std::shared_ptr<const mesh::Resource> resource);

}  // namespace keel::galley

#endif  // KEEL_SERVICES_GALLEY_MCP_SOURCE_H_
