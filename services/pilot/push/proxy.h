// The proxy a generator generates for, as Istio's Pilot passes it: who it
// is and which namespace it lives in (what it may see depends on that).
#ifndef KEEL_SERVICES_PILOT_PUSH_PROXY_H_
#define KEEL_SERVICES_PILOT_PUSH_PROXY_H_

#include <map>
#include <string>

#include "envoy/config/core/v3/base.pb.h"

namespace keel::pilot {

struct Proxy {
  std::string id;
  // "" for a view of the whole mesh, unscoped by any Sidecar (what every
  // proxy outside a Sidecar-scoped namespace gets, generated once a push).
  std::string namespace_name;
  // "region/zone/subzone" from the node's locality; "" when it has none.
  std::string locality;
  // The workload's labels: the node metadata LABELS, as Istio's proxies send
  // them (a Sidecar's workloadSelector selects by them).
  std::map<std::string, std::string> labels;
};

// ProxyNamespace is the namespace of the proxy `node`: its NAMESPACE
// metadata, else Istio's node id form "type~ip~name.namespace~domain".
std::string ProxyNamespace(const envoy::config::core::v3::Node& node);

// ProxyOf describes the proxy behind `node`.
Proxy ProxyOf(const envoy::config::core::v3::Node& node);

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_PUSH_PROXY_H_
