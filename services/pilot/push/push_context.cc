#include "services/pilot/push/push_context.h"

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

}  // namespace

std::shared_ptr<const PushContext> PushContext::Build(
    const std::vector<std::shared_ptr<const mesh::Resource>>& resources, uint64_t version,
    const std::string& cluster_domain) {
  auto context = std::make_shared<PushContext>();
  context->version_ = version;
  context->cluster_domain_ = cluster_domain;
  std::vector<Typed<net::WorkloadEntry>> workloads;
  std::vector<Typed<net::ServiceEntry>> service_entries;
  for (const auto& resource : resources) {
    const std::string& kind = resource->kind->kind;
    if (kind == "ServiceEntry") {
      service_entries.push_back(
          {resource, static_cast<const net::ServiceEntry*>(resource->spec.get())});
    } else if (kind == "WorkloadEntry") {
      workloads.push_back({resource, static_cast<const net::WorkloadEntry*>(resource->spec.get())});
    } else if (kind == "VirtualService") {
      const auto* vs = static_cast<const net::VirtualService*>(resource->spec.get());
      for (const std::string& host : vs->hosts()) {
        // Resources arrive sorted by namespace/name: the first claim wins.
        context->virtual_services_.emplace(
            mesh::ToFqdn(resource->namespace_name, host, cluster_domain),
            Typed<net::VirtualService>{resource, vs});
      }
    } else if (kind == "DestinationRule") {
      const auto* dr = static_cast<const net::DestinationRule*>(resource->spec.get());
      context->destination_rules_.emplace(
          mesh::ToFqdn(resource->namespace_name, dr->host(), cluster_domain),
          Typed<net::DestinationRule>{resource, dr});
    } else if (kind == "AuthorizationPolicy") {
      context->authorization_policies_.push_back(
          {resource, static_cast<const istio::security::v1beta1::AuthorizationPolicy*>(
                         resource->spec.get())});
    } else if (kind == "Sidecar") {
      const auto* sidecar = static_cast<const net::Sidecar*>(resource->spec.get());
      if (!sidecar->has_workload_selector() || sidecar->workload_selector().labels().empty()) {
        context->sidecars_.emplace(resource->namespace_name,
                                   Typed<net::Sidecar>{resource, sidecar});
      }
    } else if (kind == "EnvoyFilter") {
      context->envoy_filters_.push_back(
          {resource, static_cast<const net::EnvoyFilter*>(resource->spec.get())});
    }
  }
  for (const auto& [resource, se] : service_entries) {
    for (const std::string& raw_host : se->hosts()) {
      const std::string host = mesh::ToFqdn(resource->namespace_name, raw_host, cluster_domain);
      if (context->service_index_.count(host) > 0) continue;  // first definition wins
      ServiceInfo service{.host = host, .namespace_name = resource->namespace_name};
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
        const auto selector = ToMap(se->workload_selector().labels());
        for (const auto& [we_resource, we] : workloads) {
          if (we_resource->namespace_name != resource->namespace_name) continue;
          if (!LabelsMatch(selector, ToMap(we->labels()))) continue;
          service.endpoints.push_back(Endpoint{
              .address = we->address(),
              .ports = std::map<std::string, uint32_t>(we->ports().begin(), we->ports().end()),
              .labels = ToMap(we->labels()),
              .weight = we->weight() == 0 ? 1 : we->weight(),
              .locality = we->locality(),
              .workload = we_resource->namespace_name + "/" + we_resource->name});
        }
      }
      context->service_index_[host] = context->services_.size();
      context->services_.push_back(std::move(service));
    }
  }
  for (const ServiceInfo& service : context->services_) {
    for (const Endpoint& endpoint : service.endpoints) context->all_endpoints_.push_back(&endpoint);
  }
  return context;
}

const net::Sidecar* PushContext::SidecarFor(const Proxy& proxy) const {
  if (proxy.namespace_name.empty()) return nullptr;
  auto it = sidecars_.find(proxy.namespace_name);
  if (it == sidecars_.end()) it = sidecars_.find("istio-system");  // the root namespace
  return it == sidecars_.end() ? nullptr : it->second.spec;
}

bool PushContext::Visible(const Proxy& proxy, const std::string& host) const {
  const std::string& proxy_namespace = proxy.namespace_name;
  const net::Sidecar* sidecar = SidecarFor(proxy);
  if (sidecar == nullptr) return true;
  const ServiceInfo* service = FindService(host);
  const std::string service_namespace = service != nullptr ? service->namespace_name : "";
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
  auto it = service_index_.find(host);
  return it == service_index_.end() ? nullptr : &services_[it->second];
}

const Typed<net::VirtualService>* PushContext::VirtualServiceFor(const std::string& host) const {
  auto it = virtual_services_.find(host);
  return it == virtual_services_.end() ? nullptr : &it->second;
}

const Typed<net::DestinationRule>* PushContext::DestinationRuleFor(const std::string& host) const {
  auto it = destination_rules_.find(host);
  return it == destination_rules_.end() ? nullptr : &it->second;
}

}  // namespace keel::pilot
