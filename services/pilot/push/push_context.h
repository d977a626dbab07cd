// PushContext: everything one push needs, computed once per (debounced)
// configuration change and shared, immutable, by every generator and
// connection: services and their endpoints (the registry: ServiceEntry and
// WorkloadEntry), and the routing and policy that apply to each host.
#ifndef KEEL_SERVICES_PILOT_PUSH_PUSH_CONTEXT_H_
#define KEEL_SERVICES_PILOT_PUSH_PUSH_CONTEXT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libs/mesh/resource.h"
#include "proto/istio/networking/v1alpha3/destination_rule.pb.h"
#include "proto/istio/networking/v1alpha3/envoy_filter.pb.h"
#include "proto/istio/networking/v1alpha3/service_entry.pb.h"
#include "proto/istio/networking/v1alpha3/sidecar.pb.h"
#include "proto/istio/networking/v1alpha3/virtual_service.pb.h"
#include "proto/istio/security/v1beta1/authorization_policy.pb.h"
#include "services/pilot/push/proxy.h"

namespace keel::pilot {

namespace net = ::istio::networking::v1alpha3;

struct ServicePort {
  uint32_t number = 0;
  std::string name;
  std::string protocol;
  uint32_t target_port = 0;
};

struct Endpoint {
  std::string address;
  std::map<std::string, uint32_t> ports;  // port name -> port (WorkloadEntry.ports)
  std::map<std::string, std::string> labels;
  uint32_t weight = 1;
  std::string locality;  // "region/zone/subzone"
  std::string workload;  // "namespace/name" of the WorkloadEntry, or "" for inline endpoints
};

struct ServiceInfo {
  std::string host;  // FQDN
  std::string namespace_name;
  std::vector<ServicePort> ports;
  std::vector<Endpoint> endpoints;
};

// A resource with its typed spec, kept alive by the context.
template <typename Spec>
struct Typed {
  std::shared_ptr<const mesh::Resource> resource;
  const Spec* spec = nullptr;
};

class PushContext {
 public:
  // Build indexes every resource; `resources` by type URL.
  static std::shared_ptr<const PushContext> Build(
      const std::vector<std::shared_ptr<const mesh::Resource>>& resources, uint64_t version,
      const std::string& cluster_domain = "cluster.local");

  uint64_t version() const { return version_; }
  const std::vector<ServiceInfo>& services() const { return services_; }
  const ServiceInfo* FindService(const std::string& host) const;

  // The VirtualService routing `host` (from any namespace; the oldest by
  // namespace/name when several claim it), or null.
  const Typed<net::VirtualService>* VirtualServiceFor(const std::string& host) const;
  // The DestinationRule for `host`, or null.
  const Typed<net::DestinationRule>* DestinationRuleFor(const std::string& host) const;
  const std::vector<Typed<istio::security::v1beta1::AuthorizationPolicy>>& authorization_policies()
      const {
    return authorization_policies_;
  }
  const std::vector<Typed<net::EnvoyFilter>>& envoy_filters() const { return envoy_filters_; }
  // The Sidecar scoping `proxy`: its namespace's own (without a workload
  // selector), else the root namespace's, else null (it sees everything).
  // Null for the unscoped view (a proxy with no namespace).
  const net::Sidecar* SidecarFor(const Proxy& proxy) const;
  // Visible reports whether `proxy` may see `host`.
  bool Visible(const Proxy& proxy, const std::string& host) const;
  // Endpoints of every service (a workload's inbound side), by address.
  const std::vector<const Endpoint*>& all_endpoints() const { return all_endpoints_; }
  const std::string& cluster_domain() const { return cluster_domain_; }
  size_t virtual_service_count() const { return virtual_services_.size(); }

 private:
  uint64_t version_ = 0;
  std::string cluster_domain_;
  std::vector<ServiceInfo> services_;
  std::map<std::string, size_t> service_index_;
  std::map<std::string, Typed<net::VirtualService>> virtual_services_;  // by FQDN host
  std::map<std::string, Typed<net::DestinationRule>> destination_rules_;
  std::vector<Typed<istio::security::v1beta1::AuthorizationPolicy>> authorization_policies_;
  std::vector<Typed<net::EnvoyFilter>> envoy_filters_;
  std::map<std::string, Typed<net::Sidecar>> sidecars_;  // namespace-wide ones, by namespace
  std::vector<const Endpoint*> all_endpoints_;
};

// LabelsMatch reports whether `labels` has every key/value of `selector`.
bool LabelsMatch(const std::map<std::string, std::string>& selector,
                 const std::map<std::string, std::string>& labels);

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_PUSH_PUSH_CONTEXT_H_
