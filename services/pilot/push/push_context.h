// PushContext: everything one push needs, computed once per (debounced)
// configuration change and shared, immutable, by every generator and
// connection: services and their endpoints (the registry: ServiceEntry and
// WorkloadEntry), and the routing and policy that apply to each host.
#ifndef KEEL_SERVICES_PILOT_PUSH_PUSH_CONTEXT_H_
#define KEEL_SERVICES_PILOT_PUSH_PUSH_CONTEXT_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libs/mesh/mesh_config.h"
#include "libs/mesh/resource.h"
#include "proto/istio/authentication/v1alpha1/policy.pb.h"
#include "proto/istio/networking/v1alpha3/destination_rule.pb.h"
#include "proto/istio/rbac/v1alpha1/rbac.pb.h"
#include "proto/istio/networking/v1alpha3/envoy_filter.pb.h"
#include "proto/istio/networking/v1alpha3/service_entry.pb.h"
#include "proto/istio/networking/v1alpha3/sidecar.pb.h"
#include "proto/istio/networking/v1alpha3/virtual_service.pb.h"
#include "proto/istio/security/v1beta1/authorization_policy.pb.h"
#include "proto/istio/security/v1beta1/peer_authentication.pb.h"
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
  google::protobuf::RepeatedPtrField<std::string> export_to;  // the ServiceEntry's
  std::vector<std::string> subject_alt_names;                  // the ServiceEntry's
};

// A resource with its typed spec, kept alive by the context.
template <typename Spec>
struct Typed {
  std::shared_ptr<const mesh::Resource> resource;
  const Spec* spec = nullptr;
};

struct PushOptions {
  std::string cluster_domain = "cluster.local";
  // Root namespace, default exportTo lists and the rest of the mesh config.
  mesh::MeshConfig mesh = mesh::DefaultMeshConfig();
};

// The mesh's services (ServiceEntries with their endpoints, from
// WorkloadEntries): the costly part of a PushContext, shared by the next one
// while no ServiceEntry or WorkloadEntry changes.
struct ServiceRegistry {
  std::vector<ServiceInfo> services;
  std::map<std::string, size_t> index;  // host -> services[i]
  std::vector<const Endpoint*> all_endpoints;
  bool exported_everywhere = true;  // every service is exported to "*"
};

class PushContext {
 public:
  // Build indexes every resource. With `services_from`, its services are
  // reused as they are (the caller knows no kind RegistryReads changed, and
  // the options are the same).
  static std::shared_ptr<const PushContext> Build(
      const std::vector<std::shared_ptr<const mesh::Resource>>& resources, uint64_t version,
      const PushOptions& options = {}, const PushContext* services_from = nullptr);

  // RegistryReads reports whether the services are built from `kind`
  // (ServiceEntry, WorkloadEntry).
  static bool RegistryReads(std::string_view kind);

  uint64_t version() const { return version_; }
  const std::vector<ServiceInfo>& services() const { return registry_->services; }
  const ServiceInfo* FindService(const std::string& host) const;

  // The VirtualService routing `host` for `proxy`, as Istio 1.4 resolves
  // it: among those exported to the proxy's namespace, the namespace's own
  // private ones (exportTo ".") first, then the others by namespace/name;
  // the first that claims the host wins. Null if none.
  const Typed<net::VirtualService>* VirtualServiceFor(const Proxy& proxy,
                                                      const std::string& host) const;
  // Every VirtualService claiming `host`, by namespace/name (the chosen one
  // and those it shadows).
  const std::vector<Typed<net::VirtualService>>& VirtualServicesClaiming(
      const std::string& host) const;
  // The DestinationRule for `proxy` calling `host`, as Istio 1.4 resolves
  // it: a rule in the proxy's namespace, else one in the service's namespace
  // exported to the proxy's, else one in the root namespace exported to it
  // (the most specific host match within each). Null if none.
  const Typed<net::DestinationRule>* DestinationRuleFor(const Proxy& proxy,
                                                        const std::string& host) const;
  // NamespaceIndependent reports whether every proxy sees the same config
  // (no Sidecar, everything exported everywhere, at most one
  // DestinationRule a host in its service's or the root namespace): then
  // one generation serves every proxy.
  bool NamespaceIndependent() const { return namespace_independent_; }
  const mesh::MeshConfig& mesh() const { return options_.mesh; }
  // LocalityLbFor is the locality load-balancing setting for a cluster
  // whose DestinationRule policy is `policy` (its own setting, else the
  // mesh's), or null when locality load balancing is off.
  const net::LocalityLoadBalancerSetting* LocalityLbFor(const net::TrafficPolicy& policy) const;
  const std::string& root_namespace() const { return options_.mesh.root_namespace(); }
  const std::vector<Typed<istio::security::v1beta1::AuthorizationPolicy>>& authorization_policies()
      const {
    return authorization_policies_;
  }
  const std::vector<Typed<net::EnvoyFilter>>& envoy_filters() const { return envoy_filters_; }
  // PeerAuthentications, sorted by namespace/name (the order Istio's
  // "oldest wins" falls back to).
  const std::vector<Typed<istio::security::v1beta1::PeerAuthentication>>& peer_authentications()
      const {
    return peer_authentications_;
  }
  // Istio 1.4's authentication.istio.io Policy and MeshPolicy, by namespace/name.
  const std::vector<Typed<istio::authentication::v1alpha1::Policy>>& authentication_policies()
      const {
    return authentication_policies_;
  }
  const std::vector<Typed<istio::authentication::v1alpha1::Policy>>& mesh_policies() const {
    return mesh_policies_;
  }
  // Istio 1.4's rbac.istio.io: roles and bindings by namespace/name, and the
  // ClusterRbacConfig (or RbacConfig) named "default", if any.
  const std::vector<Typed<istio::rbac::v1alpha1::ServiceRole>>& service_roles() const {
    return service_roles_;
  }
  const std::vector<Typed<istio::rbac::v1alpha1::ServiceRoleBinding>>& service_role_bindings()
      const {
    return service_role_bindings_;
  }
  const istio::rbac::v1alpha1::RbacConfig* rbac_config() const { return rbac_config_; }
  // The Sidecar scoping `proxy`: one in its namespace whose workload
  // selector matches the proxy's labels (by name), else its namespace's own
  // without a selector, else the root namespace's, else null (it sees
  // everything). Null for the unscoped view (a proxy with no namespace).
  const net::Sidecar* SidecarFor(const Proxy& proxy) const;
  const Typed<net::Sidecar>* SidecarResourceFor(const Proxy& proxy) const;
  // Visible reports whether `proxy` may see `host`: the service is
  // exported to its namespace, and its Sidecar (if any) imports it.
  bool Visible(const Proxy& proxy, const std::string& host) const;
  // Endpoints of every service (a workload's inbound side), by address.
  const std::vector<const Endpoint*>& all_endpoints() const { return registry_->all_endpoints; }
  const std::string& cluster_domain() const { return options_.cluster_domain; }
  size_t virtual_service_count() const { return virtual_services_.size(); }

  // Whether a resource in `ns` exported to `export_to` (or, if empty, the
  // mesh default `fallback`) is visible from `proxy_ns` ("" sees only what
  // is exported everywhere).
  static bool ExportedTo(const std::string& ns,
                         const google::protobuf::RepeatedPtrField<std::string>& export_to,
                         const google::protobuf::RepeatedPtrField<std::string>& fallback,
                         const std::string& proxy_ns);

 private:

  uint64_t version_ = 0;
  PushOptions options_;
  std::shared_ptr<const ServiceRegistry> registry_;
  // Every VirtualService claiming each FQDN host, by namespace/name.
  std::map<std::string, std::vector<Typed<net::VirtualService>>> virtual_services_;
  // DestinationRules by namespace, then FQDN host (wildcards included).
  std::map<std::string, std::map<std::string, Typed<net::DestinationRule>>> destination_rules_;
  bool namespace_independent_ = true;
  std::vector<Typed<istio::security::v1beta1::AuthorizationPolicy>> authorization_policies_;
  std::vector<Typed<net::EnvoyFilter>> envoy_filters_;
  std::vector<Typed<istio::security::v1beta1::PeerAuthentication>> peer_authentications_;
  std::vector<Typed<istio::authentication::v1alpha1::Policy>> authentication_policies_;
  std::vector<Typed<istio::authentication::v1alpha1::Policy>> mesh_policies_;
  std::vector<Typed<istio::rbac::v1alpha1::ServiceRole>> service_roles_;
  std::vector<Typed<istio::rbac::v1alpha1::ServiceRoleBinding>> service_role_bindings_;
  const istio::rbac::v1alpha1::RbacConfig* rbac_config_ = nullptr;
  std::shared_ptr<const mesh::Resource> rbac_config_resource_;  // keeps rbac_config_ alive
  std::map<std::string, Typed<net::Sidecar>> sidecars_;  // namespace-wide ones, by namespace
  // Those with a workload selector, by namespace, by name.
  std::map<std::string, std::vector<Typed<net::Sidecar>>> selector_sidecars_;
};

// LabelsMatch reports whether `labels` has every key/value of `selector`.
bool LabelsMatch(const std::map<std::string, std::string>& selector,
                 const std::map<std::string, std::string>& labels);

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_PUSH_PUSH_CONTEXT_H_
