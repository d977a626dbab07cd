#include "services/pilot/push/proxy.h"

#include <vector>

#include "absl/strings/str_split.h"

namespace keel::pilot {

std::string ProxyNamespace(const envoy::config::core::v3::Node& node) {
  const auto& fields = node.metadata().fields();
  if (auto it = fields.find("NAMESPACE"); it != fields.end()) return it->second.string_value();
  std::vector<std::string> parts = absl::StrSplit(node.id(), '~');
  if (parts.size() >= 3) {
    const size_t dot = parts[2].rfind('.');
    if (dot != std::string::npos) return parts[2].substr(dot + 1);
  }
  return "";
}

Proxy ProxyOf(const envoy::config::core::v3::Node& node) {
  Proxy proxy{.id = node.id(), .namespace_name = ProxyNamespace(node)};
  const auto& locality = node.locality();
  if (!locality.region().empty() || !locality.zone().empty() || !locality.sub_zone().empty()) {
    proxy.locality = locality.region() + "/" + locality.zone() + "/" + locality.sub_zone();
  }
  const auto& fields = node.metadata().fields();
  if (auto it = fields.find("LABELS"); it != fields.end()) {
    for (const auto& [key, value] : it->second.struct_value().fields()) {
      proxy.labels[key] = value.string_value();
    }
  }
  return proxy;
}

}  // namespace keel::pilot
