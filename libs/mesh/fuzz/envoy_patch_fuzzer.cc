// Fuzz target for EnvoyFilter patch values: Envoy JSON (any typed_config
// inside) converted to the message a patch applies to, and every regex in
// it found. The first byte picks the target message; the rest is the JSON.
#include <cstddef>
#include <cstdint>
#include <string>

#include "libs/mesh/envoy_types.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* const kTargets[] = {
      "envoy.config.listener.v3.Listener",
      "envoy.config.route.v3.RouteConfiguration",
      "envoy.config.route.v3.VirtualHost",
      "envoy.config.route.v3.Route",
      "envoy.config.cluster.v3.Cluster",
      "envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter",
  };
  const std::string target = kTargets[data[0] % (sizeof(kTargets) / sizeof(kTargets[0]))];
  const std::string json(reinterpret_cast<const char*>(data + 1), size - 1);
  absl::StatusOr<std::string> binary = keel::mesh::EnvoyJsonToBinary(target, json);
  if (binary.ok()) {
    keel::mesh::ForEachEnvoyRegex(target, *binary,
                                  [](const std::string&, const std::string&) {});
  }
  return 0;
}
