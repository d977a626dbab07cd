#include "services/pilot/push/push_context.h"

#include <algorithm>
#include <unordered_map>

#include "libs/mesh/hosts.h"
#include "proto/istio/networking/v1alpha3/workload_entry.pb.h"

namespace keel::pilot {

bool LabelsMatch(const std::map<std::string, std::string>& selector,
                 const std::map<std::string, std::string>& labels) {
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

namespace {

template <typename Map>
std::map<std::string, std::string> ToMap(const Map& m) {
  return std::map<std::string, std::string>(m.begin(), m.end());
}

// WorkloadEntries by namespace, with an inverted index of their labels, so
// a ServiceEntry's selector costs what it selects, not every workload of the
// mesh (1,000 services x 10,000 workloads was half of a push).
class WorkloadIndex {
 public:
  struct Workload {
    const Typed<net::WorkloadEntry>* entry;
    std::map<std::string, std::string> labels;
  };

  explicit WorkloadIndex(const std::vector<Typed<net::WorkloadEntry>>& workloads) {
    for (const Typed<net::WorkloadEntry>& typed : workloads) {
      Namespace& ns = namespaces_[typed.resource->namespace_name];
      const size_t index = ns.workloads.size();
      ns.workloads.push_back({&typed, ToMap(typed.spec->labels())});
      for (const auto& [key, value] : ns.workloads.back().labels) {
        ns.by_label[key + "=" + value].push_back(index);
      }
    }
  }

  // Select calls `visit` for each workload of `namespace_name` whose labels
  // include all of `selector`, in the order they were given.
  template <typename Visit>
  void Select(const std::string& namespace_name, const std::map<std::string, std::string>& selector,
              Visit visit) const {
    auto ns = namespaces_.find(namespace_name);
    if (ns == namespaces_.end()) return;
    if (selector.empty()) {
      for (const Workload& workload : ns->second.workloads) visit(workload);
      return;
    }
    // The rarest label narrows the search; the others are checked.
    const std::vector<size_t>* candidates = nullptr;
    for (const auto& [key, value] : selector) {
      auto posting = ns->second.by_label.find(key + "=" + value);
      if (posting == ns->second.by_label.end()) return;
      if (candidates == nullptr || posting->second.size() < candidates->size()) {
        candidates = &posting->second;
      }
    }
    for (size_t index : *candidates) {
      const Workload& workload = ns->second.workloads[index];
      if (LabelsMatch(selector, workload.labels)) visit(workload);
    }
  }

 private:
  struct Namespace {
    std::vector<Workload> workloads;
    std::unordered_map<std::string, std::vector<size_t>> by_label;  // "key=value" -> workloads
  };
  std::unordered_map<std::string, Namespace> namespaces_;
};

}  // namespace

bool PushContext::ExportedTo(const std::string& ns,
                             const google::protobuf::RepeatedPtrField<std::string>& export_to,
                             const google::protobuf::RepeatedPtrField<std::string>& fallback,
                             const std::string& proxy_ns) {
  const auto& list = export_to.empty() ? fallback : export_to;
  if (list.empty()) return true;  // the mesh default is "*"
  for (const std::string& e : list) {
    if (e == "*") return true;
    if (proxy_ns.empty()) continue;  // the unscoped view sees only what is exported everywhere
    if (e == "." ? ns == proxy_ns : e == proxy_ns) return true;
  }
  return false;
}

namespace {

// Whether an exportTo list (or the mesh default when empty) means "*".
bool Everywhere(const google::protobuf::RepeatedPtrField<std::string>& export_to,
                const google::protobuf::RepeatedPtrField<std::string>& fallback) {
  const auto& list = export_to.empty() ? fallback : export_to;
  return list.empty() || std::find(list.begin(), list.end(), "*") != list.end();
}

// The entry of `rules` whose host matches `host` most specifically: an exact
// match, else the longest wildcard suffix.
template <typename Map>
const typename Map::mapped_type* MostSpecific(const Map& rules, const std::string& host) {
  if (auto it = rules.find(host); it != rules.end()) return &it->second;
  const typename Map::mapped_type* best = nullptr;
  size_t best_length = 0;
  for (const auto& [pattern, rule] : rules) {
    if (pattern.empty() || pattern[0] != '*') continue;
    if (mesh::HostsMatch(pattern, host) && pattern.size() >= best_length) {
      best = &rule;
      best_length = pattern.size();
    }
  }
  return best;
}

}  // namespace

namespace {

std::shared_ptr<const ServiceRegistry> BuildRegistry(
    const std::vector<Typed<net::ServiceEntry>>& service_entries,
    const std::vector<Typed<net::WorkloadEntry>>& workloads, const std::string& cluster_domain,
    const google::protobuf::RepeatedPtrField<std::string>& default_export_to) {
  auto registry = std::make_shared<ServiceRegistry>();
  const WorkloadIndex workload_index(workloads);
  for (const auto& [resource, se] : service_entries) {
    for (const std::string& raw_host : se->hosts()) {
      const std::string host = mesh::ToFqdn(resource->namespace_name, raw_host, cluster_domain);
      if (registry->index.count(host) > 0) continue;  // first definition wins
      ServiceInfo service{.host = host,
                          .namespace_name = resource->namespace_name,
                          .export_to = se->export_to(),
                          .subject_alt_names = {se->subject_alt_names().begin(),
                                                se->subject_alt_names().end()}};
      registry->exported_everywhere &= Everywhere(se->export_to(), default_export_to);
      for (const auto& port : se->ports()) {
        service.ports.push_back({.number = port.number(),
                                 .name = port.name(),
                                 .protocol = port.protocol(),
                                 .target_port = port.target_port()});
      }
      for (const auto& ep : se->endpoints()) {
        service.endpoints.push_back(
            Endpoint{.address = ep.address(),
                     .ports = std::map<std::string, uint32_t>(ep.ports().begin(), ep.ports().end()),
                     .labels = ToMap(ep.labels()),
                     .weight = ep.weight() == 0 ? 1 : ep.weight(),
                     .locality = ep.locality()});
      }
      if (se->has_workload_selector()) {
        workload_index.Select(
            resource->namespace_name, ToMap(se->workload_selector().labels()),
            [&](const WorkloadIndex::Workload& workload) {
              const auto& [we_resource, we] = *workload.entry;
              service.endpoints.push_back(Endpoint{
                  .address = we->address(),
                  .ports = std::map<std::string, uint32_t>(we->ports().begin(), we->ports().end()),
                  .labels = workload.labels,
                  .weight = we->weight() == 0 ? 1 : we->weight(),
                  .locality = we->locality(),
                  .workload = we_resource->namespace_name + "/" + we_resource->name});
            });
      }
      registry->index[host] = registry->services.size();
      registry->services.push_back(std::move(service));
    }
  }
  for (const ServiceInfo& service : registry->services) {
    for (const Endpoint& endpoint : service.endpoints) registry->all_endpoints.push_back(&endpoint);
  }
  return registry;
}

}  // namespace

bool PushContext::RegistryReads(std::string_view kind) {
  return kind == mesh::kinds::ServiceEntry.name() || kind == mesh::kinds::WorkloadEntry.name();
}

std::shared_ptr<const PushContext> PushContext::Build(
    const std::vector<std::shared_ptr<const mesh::Resource>>& resources, uint64_t version,
    const PushOptions& options, const PushContext* services_from) {
  auto context = std::make_shared<PushContext>();
  context->version_ = version;
  context->options_ = options;
  const std::string& cluster_domain = options.cluster_domain;
  const mesh::MeshConfig& mesh = options.mesh;
  bool& independent = context->namespace_independent_;
  std::vector<Typed<net::WorkloadEntry>> workloads;
  std::vector<Typed<net::ServiceEntry>> service_entries;
  namespace kinds = mesh::kinds;
  for (const auto& resource : resources) {
    const mesh::Resource& r = *resource;
    if (const auto* entry = r.As(kinds::ServiceEntry)) {
      service_entries.push_back({resource, entry});
    } else if (const auto* workload = r.As(kinds::WorkloadEntry)) {
      workloads.push_back({resource, workload});
    } else if (const auto* vs = r.As(kinds::VirtualService)) {
      independent &= Everywhere(vs->export_to(), mesh.default_virtual_service_export_to());
      for (const std::string& host : vs->hosts()) {
        // Short names resolve in the rule's namespace, never the proxy's.
        // Resources arrive sorted by namespace/name.
        context->virtual_services_[mesh::ToFqdn(r.namespace_name, host, cluster_domain)]
            .push_back(Typed<net::VirtualService>{resource, vs});
      }
    } else if (const auto* dr = r.As(kinds::DestinationRule)) {
      independent &= Everywhere(dr->export_to(), mesh.default_destination_rule_export_to());
      // The first (by name) rule of a namespace for a host wins there.
      context->destination_rules_[r.namespace_name].emplace(
          mesh::ToFqdn(r.namespace_name, dr->host(), cluster_domain),
          Typed<net::DestinationRule>{resource, dr});
    } else if (const auto* authz = r.As(kinds::AuthorizationPolicy)) {
      context->authorization_policies_.push_back({resource, authz});
    } else if (const auto* policy = r.As(kinds::Policy)) {
      context->authentication_policies_.push_back({resource, policy});
    } else if (const auto* mesh_policy = r.As(kinds::MeshPolicy)) {
      context->mesh_policies_.push_back({resource, mesh_policy});
    } else if (const auto* role = r.As(kinds::ServiceRole)) {
      context->service_roles_.push_back({resource, role});
    } else if (const auto* binding = r.As(kinds::ServiceRoleBinding)) {
      context->service_role_bindings_.push_back({resource, binding});
    } else if (const auto* cluster_rbac = r.As(kinds::ClusterRbacConfig)) {
      // ClusterRbacConfig wins over the older RbacConfig, as in Istio 1.4.
      if (r.name == "default") {
        context->rbac_config_ = cluster_rbac;
        context->rbac_config_resource_ = resource;
      }
    } else if (const auto* rbac = r.As(kinds::RbacConfig)) {
      if (r.name == "default" && context->rbac_config_ == nullptr) {
        context->rbac_config_ = rbac;
        context->rbac_config_resource_ = resource;
      }
    } else if (const auto* peer = r.As(kinds::PeerAuthentication)) {
      context->peer_authentications_.push_back({resource, peer});
    } else if (const auto* sidecar = r.As(kinds::Sidecar)) {
      independent = false;
      if (!sidecar->has_workload_selector() || sidecar->workload_selector().labels().empty()) {
        context->sidecars_.emplace(r.namespace_name, Typed<net::Sidecar>{resource, sidecar});
      } else {
        context->selector_sidecars_[r.namespace_name].push_back(
            Typed<net::Sidecar>{resource, sidecar});
      }
    } else if (const auto* filter = r.As(kinds::EnvoyFilter)) {
      // Outside the root namespace, a filter without a selector patches only
      // its own namespace's proxies.
      independent &= r.namespace_name == mesh.root_namespace() ||
                     !filter->workload_selector().labels().empty() ||
                     !filter->workload_labels().empty();
      context->envoy_filters_.push_back({resource, filter});
    }
  }
  if (services_from != nullptr) {
    context->registry_ = services_from->registry_;
  } else {
    context->registry_ =
        BuildRegistry(service_entries, workloads, cluster_domain, mesh.default_service_export_to());
  }
  independent &= context->registry_->exported_everywhere;
  // One DestinationRule a host, in the service's or the root namespace,
  // resolves the same from every namespace; anything else may not.
  std::map<std::string, int> rules_per_host;
  for (const auto& [ns, rules] : context->destination_rules_) {
    for (const auto& [host, rule] : rules) {
      ++rules_per_host[host];
      const ServiceInfo* service = context->FindService(host);
      if (ns != mesh.root_namespace() && (service == nullptr || service->namespace_name != ns)) {
        independent = false;
      }
    }
  }
  for (const auto& [host, count] : rules_per_host) independent &= count == 1;
  return context;
}

const Typed<net::Sidecar>* PushContext::SidecarResourceFor(const Proxy& proxy) const {
  if (proxy.namespace_name.empty()) return nullptr;
  // One that selects the proxy's workload wins over the namespace default.
  if (auto it = selector_sidecars_.find(proxy.namespace_name); it != selector_sidecars_.end()) {
    for (const Typed<net::Sidecar>& sidecar : it->second) {
      const auto& selector = sidecar.spec->workload_selector().labels();
      if (LabelsMatch(std::map<std::string, std::string>(selector.begin(), selector.end()),
                      proxy.labels)) {
        return &sidecar;
      }
    }
  }
  auto it = sidecars_.find(proxy.namespace_name);
  if (it == sidecars_.end()) it = sidecars_.find(root_namespace());
  return it == sidecars_.end() ? nullptr : &it->second;
}

const net::Sidecar* PushContext::SidecarFor(const Proxy& proxy) const {
  const Typed<net::Sidecar>* sidecar = SidecarResourceFor(proxy);
  return sidecar == nullptr ? nullptr : sidecar->spec;
}

bool PushContext::Visible(const Proxy& proxy, const std::string& host) const {
  const ServiceInfo* service = FindService(host);
  const std::string service_namespace = service != nullptr ? service->namespace_name : "";
  if (service != nullptr && !ExportedTo(service_namespace, service->export_to,
                                        mesh().default_service_export_to(), proxy.namespace_name)) {
    return false;
  }
  const net::Sidecar* sidecar = SidecarFor(proxy);
  if (sidecar == nullptr) return true;
  const std::string& proxy_namespace = proxy.namespace_name;
  for (const auto& egress : sidecar->egress()) {
    for (const std::string& entry : egress.hosts()) {
      const size_t slash = entry.find('/');
      const std::string ns = entry.substr(0, slash);
      const std::string pattern = slash == std::string::npos ? entry : entry.substr(slash + 1);
      const bool ns_ok = ns == "*" || (ns == "." && service_namespace == proxy_namespace) ||
                         ns == service_namespace;
      if (!ns_ok) continue;
      if (pattern == "*" || pattern == host ||
          (pattern.size() > 1 && pattern[0] == '*' && host.size() > pattern.size() - 1 &&
           host.compare(host.size() - (pattern.size() - 1), pattern.size() - 1, pattern, 1) == 0)) {
        return true;
      }
    }
  }
  return false;
}

const ServiceInfo* PushContext::FindService(const std::string& host) const {
  auto it = registry_->index.find(host);
  return it == registry_->index.end() ? nullptr : &registry_->services[it->second];
}

const Typed<net::VirtualService>* PushContext::VirtualServiceFor(const Proxy& proxy,
                                                                 const std::string& host) const {
  auto it = virtual_services_.find(host);
  if (it == virtual_services_.end()) return nullptr;
  const auto& fallback = mesh().default_virtual_service_export_to();
  // The proxy namespace's private ones first (Istio 1.4's order).
  for (const Typed<net::VirtualService>& vs : it->second) {
    const auto& export_to = vs.spec->export_to().empty() ? fallback : vs.spec->export_to();
    if (vs.resource->namespace_name == proxy.namespace_name &&
        std::find(export_to.begin(), export_to.end(), ".") != export_to.end()) {
      return &vs;
    }
  }
  for (const Typed<net::VirtualService>& vs : it->second) {
    if (ExportedTo(vs.resource->namespace_name, vs.spec->export_to(), fallback,
                   proxy.namespace_name)) {
      return &vs;
    }
  }
  return nullptr;
}

const std::vector<Typed<net::VirtualService>>& PushContext::VirtualServicesClaiming(
    const std::string& host) const {
  static const auto* const kNone = new std::vector<Typed<net::VirtualService>>();
  auto it = virtual_services_.find(host);
  return it == virtual_services_.end() ? *kNone : it->second;
}

const Typed<net::DestinationRule>* PushContext::DestinationRuleFor(const Proxy& proxy,
                                                                   const std::string& host) const {
  const auto& fallback = mesh().default_destination_rule_export_to();
  // 1. A rule in the proxy's own namespace.
  if (!proxy.namespace_name.empty()) {
    if (auto it = destination_rules_.find(proxy.namespace_name); it != destination_rules_.end()) {
      if (const auto* rule = MostSpecific(it->second, host)) return rule;
    }
  }
  // 2. A rule in the service's namespace, 3. in the root namespace, if
  // exported to the proxy's namespace.
  const ServiceInfo* service = FindService(host);
  for (const std::string& ns :
       {service != nullptr ? service->namespace_name : std::string(), root_namespace()}) {
    if (ns.empty()) continue;
    auto it = destination_rules_.find(ns);
    if (it == destination_rules_.end()) continue;
    const Typed<net::DestinationRule>* rule = MostSpecific(it->second, host);
    if (rule != nullptr &&
        ExportedTo(ns, rule->spec->export_to(), fallback, proxy.namespace_name)) {
      return rule;
    }
  }
  return nullptr;
}

const net::LocalityLoadBalancerSetting* PushContext::LocalityLbFor(
    const net::TrafficPolicy& policy) const {
  const net::LocalityLoadBalancerSetting* setting =
      policy.load_balancer().has_locality_lb_setting()
          ? &policy.load_balancer().locality_lb_setting()
          : &mesh().locality_lb_setting();
  if (setting->has_enabled() && !setting->enabled().value()) return nullptr;
  return setting;
}

}  // namespace keel::pilot
