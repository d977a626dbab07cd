#include "services/pilot/serve/describe.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/edit_distance.h"
#include "libs/common/json_writer.h"
#include "libs/mesh/hosts.h"
#include "services/pilot/generators/mtls.h"

namespace keel::pilot {
namespace {

namespace sec = ::istio::security::v1beta1;

std::string ProtoJson(const google::protobuf::Message& message) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json);
  return json.empty() ? "{}" : json;
}


// The up to three names of `candidates` closest to `query` (by the whole
// name or its first label).
std::vector<std::string> Closest(const std::string& query, std::vector<std::string> candidates) {
  auto score = [&query](const std::string& name) {
    return std::min(EditDistance(query, name), EditDistance(query, name.substr(0, name.find('.'))));
  };
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const std::string& a, const std::string& b) { return score(a) < score(b); });
  if (candidates.size() > 3) candidates.resize(3);
  return candidates;
}

std::string Labels(const std::map<std::string, std::string>& labels) {
  return absl::StrJoin(labels, ",", absl::PairFormatter("="));
}

const char* ModeName(MtlsMode mode) {
  switch (mode) {
    case MtlsMode::kDisable:
      return "DISABLE";
    case MtlsMode::kPermissive:
      return "PERMISSIVE";
    case MtlsMode::kStrict:
      return "STRICT";
  }
  return "";
}

std::string WorkloadNamespace(const Endpoint& endpoint, const ServiceInfo& service) {
  const size_t slash = endpoint.workload.find('/');
  return slash == std::string::npos ? service.namespace_name : endpoint.workload.substr(0, slash);
}

// The port an endpoint serves `port` of its service on.
uint32_t EndpointPort(const Endpoint& endpoint, const ServicePort& port) {
  auto it = endpoint.ports.find(port.name);
  if (it != endpoint.ports.end()) return it->second;
  return port.target_port != 0 ? port.target_port : port.number;
}

void WriteEndpoint(const Endpoint& endpoint, uint32_t port, JsonWriter& json) {
  json.BeginObject()
      .Key("address")
      .String(endpoint.address)
      .Key("port")
      .Uint(port)
      .Key("labels")
      .BeginObject();
  for (const auto& [k, v] : endpoint.labels) json.Key(k).String(v);
  json.EndObject().Key("locality").String(endpoint.locality);
  json.Key("workload").String(endpoint.workload).EndObject();
}

// The AuthorizationPolicies a workload's server applies (its namespace's
// and the root namespace's whose selector matches it).
void WriteAuthorizationPolicies(const PushContext& context, const std::string& workload_namespace,
                                const std::map<std::string, std::string>& labels,
                                JsonWriter& json) {
  json.BeginArray();
  for (const auto& [resource, policy] : context.authorization_policies()) {
    if (resource->namespace_name != workload_namespace &&
        resource->namespace_name != context.root_namespace()) {
      continue;
    }
    const std::map<std::string, std::string> selector(policy->selector().match_labels().begin(),
                                                      policy->selector().match_labels().end());
    if (!LabelsMatch(selector, labels)) continue;
    json.BeginObject()
        .Key("name")
        .String(absl::StrCat(resource->namespace_name, "/", resource->name))
        .Key("action")
        .String(sec::AuthorizationPolicy::Action_Name(policy->action()))
        .Key("rules")
        .Uint(policy->rules_size())
        .EndObject();
  }
  json.EndArray();
}

// The subset's labels in `rule`, or nothing when the subset is not defined.
std::optional<std::map<std::string, std::string>> SubsetLabels(
    const Typed<net::DestinationRule>* rule, const std::string& subset) {
  if (subset.empty()) return std::map<std::string, std::string>();
  if (rule == nullptr) return std::nullopt;
  for (const auto& s : rule->spec->subsets()) {
    if (s.name() == subset) return std::map<std::string, std::string>(s.labels().begin(), s.labels().end());
  }
  return std::nullopt;
}

// One destination of a route: where it leads and the endpoints it selects.
void WriteDestination(const PushContext& context, const Proxy& proxy, const std::string& vs_namespace,
                      const net::Destination& destination, int32_t weight, JsonWriter& json) {
  const std::string host = mesh::ToFqdn(vs_namespace, destination.host(), context.cluster_domain());
  json.BeginObject()
      .Key("host")
      .String(host)
      .Key("subset")
      .String(destination.subset())
      .Key("port")
      .Uint(destination.port().number())
      .Key("weight")
      .Int(weight);
  const ServiceInfo* service = context.FindService(host);
  const Typed<net::DestinationRule>* rule = context.DestinationRuleFor(proxy, host);
  std::optional<std::map<std::string, std::string>> selector =
      SubsetLabels(rule, destination.subset());
  std::string problem;
  if (service == nullptr) {
    problem = "no service has this host: requests fail";
  } else if (!selector.has_value()) {
    problem = absl::StrCat("subset \"", destination.subset(), "\" is not defined by ",
                           rule == nullptr ? "any DestinationRule"
                                           : absl::StrCat("DestinationRule ", rule->resource->namespace_name,
                                                          "/", rule->resource->name),
                           ": requests fail");
  }
  json.Key("endpoints").BeginArray();
  size_t selected = 0;
  if (service != nullptr && selector.has_value()) {
    const ServicePort* port = nullptr;
    for (const ServicePort& p : service->ports) {
      if (destination.port().number() == 0 || p.number == destination.port().number()) {
        port = &p;
        break;
      }
    }
    for (const Endpoint& endpoint : service->endpoints) {
      if (!LabelsMatch(*selector, endpoint.labels)) continue;
      WriteEndpoint(endpoint, port != nullptr ? EndpointPort(endpoint, *port) : 0, json);
      ++selected;
    }
    if (selected == 0) problem = "no endpoint has the subset's labels: requests fail";
  }
  json.EndArray().Key("problem").String(problem).EndObject();
}

void WriteRoutes(const PushContext& context, const Proxy& proxy, const ServiceInfo& service,
                 const Typed<net::VirtualService>* vs, JsonWriter& json) {
  json.Key("routes").BeginArray();
  if (vs == nullptr) {
    // No VirtualService: every endpoint of the service, balanced.
    net::Destination destination;
    destination.set_host(service.host);
    json.BeginObject().Key("name").String("default").Key("match").BeginArray().EndArray();
    json.Key("destinations").BeginArray();
    WriteDestination(context, proxy, service.namespace_name, destination, 100, json);
    json.EndArray().EndObject();
    json.EndArray();
    return;
  }
  for (const net::HTTPRoute& route : vs->spec->http()) {
    json.BeginObject().Key("name").String(route.name()).Key("match").BeginArray();
    for (const auto& match : route.match()) json.Raw(ProtoJson(match));
    json.EndArray().Key("destinations").BeginArray();
    for (const auto& destination : route.route()) {
      const int32_t weight = route.route_size() == 1 && destination.weight() == 0 ? 100 : destination.weight();
      WriteDestination(context, proxy, vs->resource->namespace_name, destination.destination(), weight,
                       json);
    }
    json.EndArray();
    json.Key("timeout").String(route.has_timeout() ? absl::StrCat(route.timeout().seconds() +
                                                                       route.timeout().nanos() / 1e9,
                                                                   "s")
                                                    : "");
    json.Key("retries").Raw(route.has_retries() ? ProtoJson(route.retries()) : "null");
    json.Key("fault").Raw(route.has_fault() ? ProtoJson(route.fault()) : "null");
    json.EndObject();
  }
  json.EndArray();
}

}  // namespace

std::string TrafficGraphJson(const PushContext& context, const std::string& proxy_namespace) {
  const Proxy proxy{.namespace_name = proxy_namespace};
  JsonWriter json;
  json.BeginObject().Key("namespace").String(proxy_namespace).Key("services").BeginArray();
  for (const ServiceInfo& service : context.services()) {
    json.BeginObject()
        .Key("host")
        .String(service.host)
        .Key("namespace")
        .String(service.namespace_name)
        .Key("endpoints")
        .Uint(service.endpoints.size())
        .Key("visible")
        .Bool(context.Visible(proxy, service.host))
        .EndObject();
  }
  json.EndArray().Key("edges").BeginArray();
  for (const ServiceInfo& service : context.services()) {
    const Typed<net::VirtualService>* vs = context.VirtualServiceFor(proxy, service.host);
    if (vs == nullptr) continue;
    const std::string vs_name = absl::StrCat(vs->resource->namespace_name, "/", vs->resource->name);
    int route_index = 0;
    for (const net::HTTPRoute& route : vs->spec->http()) {
      ++route_index;
      for (const auto& destination : route.route()) {
        const int32_t weight =
            route.route_size() == 1 && destination.weight() == 0 ? 100 : destination.weight();
        const std::string to = mesh::ToFqdn(vs->resource->namespace_name,
                                            destination.destination().host(), context.cluster_domain());
        std::optional<std::map<std::string, std::string>> labels =
            SubsetLabels(context.DestinationRuleFor(proxy, to), destination.destination().subset());
        json.BeginObject()
            .Key("from")
            .String(service.host)
            .Key("to")
            .String(to)
            .Key("subset")
            .String(destination.destination().subset())
            .Key("labels")
            .BeginObject();
        for (const auto& [k, v] : labels.value_or(std::map<std::string, std::string>())) {
          json.Key(k).String(v);
        }
        json.EndObject()
            .Key("weight")
            .Int(weight)
            .Key("route")
            .Int(route_index)
            .Key("matched")
            .Bool(route.match_size() > 0)
            .Key("virtualService")
            .String(vs_name)
            .EndObject();
      }
    }
  }
  json.EndArray().EndObject();
  return json.Take();
}

const ServiceInfo* ResolveHost(const PushContext& context, const std::string& host,
                               const std::string& proxy_namespace) {
  if (const ServiceInfo* exact = context.FindService(host)) return exact;
  return context.FindService(mesh::ToFqdn(proxy_namespace, host, context.cluster_domain()));
}

absl::StatusOr<std::string> DescribeServiceJson(const PushContext& context, const std::string& query,
                                                const std::string& proxy_namespace,
                                                const std::vector<SubscriberState>& subscribers) {
  const ServiceInfo* service = ResolveHost(context, query, proxy_namespace);
  if (service == nullptr) {
    std::vector<std::string> hosts;
    for (const ServiceInfo& s : context.services()) hosts.push_back(s.host);
    std::vector<std::string> closest = Closest(query, std::move(hosts));
    return absl::NotFoundError(absl::StrCat(
        "no service \"", query, "\" (looked for it as given and in namespace \"", proxy_namespace,
        "\")", closest.empty() ? "" : absl::StrCat("; closest: ", absl::StrJoin(closest, ", "))));
  }
  const std::string& host = service->host;
  const Proxy proxy{.namespace_name = proxy_namespace};
  JsonWriter json;
  json.BeginObject()
      .Key("host")
      .String(host)
      .Key("serviceNamespace")
      .String(service->namespace_name)
      .Key("viewedFrom")
      .String(proxy_namespace)
      .Key("visible")
      .Bool(context.Visible(proxy, host));
  json.Key("ports").BeginArray();
  for (const ServicePort& port : service->ports) {
    json.BeginObject()
        .Key("number")
        .Uint(port.number)
        .Key("name")
        .String(port.name)
        .Key("protocol")
        .String(port.protocol)
        .EndObject();
  }
  json.EndArray();

  // Which VirtualService applies, and why the others do not.
  const Typed<net::VirtualService>* chosen = context.VirtualServiceFor(proxy, host);
  json.Key("virtualService");
  if (chosen == nullptr) {
    json.Raw("null");
  } else {
    json.String(absl::StrCat(chosen->resource->namespace_name, "/", chosen->resource->name));
  }
  json.Key("shadowed").BeginArray();
  const auto& fallback = context.mesh().default_virtual_service_export_to();
  for (const Typed<net::VirtualService>& vs : context.VirtualServicesClaiming(host)) {
    if (&vs == chosen) continue;
    const std::string name = absl::StrCat(vs.resource->namespace_name, "/", vs.resource->name);
    std::string reason;
    if (!PushContext::ExportedTo(vs.resource->namespace_name, vs.spec->export_to(), fallback,
                                 proxy_namespace)) {
      const auto& export_to = vs.spec->export_to().empty() ? fallback : vs.spec->export_to();
      reason = absl::StrCat("not exported to namespace \"", proxy_namespace, "\" (exportTo: [",
                            absl::StrJoin(export_to, ", "), "])");
    } else {
      reason = absl::StrCat(chosen->resource->namespace_name, "/", chosen->resource->name,
                            " claims the host first (Istio 1.4's order: the namespace's own "
                            "private rules, then by namespace and name)");
    }
    json.BeginObject().Key("name").String(name).Key("reason").String(reason).EndObject();
  }
  json.EndArray();
  WriteRoutes(context, proxy, *service, chosen, json);

  // The DestinationRule's policies.
  const Typed<net::DestinationRule>* rule = context.DestinationRuleFor(proxy, host);
  json.Key("destinationRule");
  if (rule == nullptr) {
    json.Raw("null");
  } else {
    json.BeginObject()
        .Key("name")
        .String(absl::StrCat(rule->resource->namespace_name, "/", rule->resource->name))
        .Key("trafficPolicy")
        .Raw(rule->spec->has_traffic_policy() ? ProtoJson(rule->spec->traffic_policy()) : "null")
        .Key("subsets")
        .BeginArray();
    for (const auto& subset : rule->spec->subsets()) {
      json.BeginObject().Key("name").String(subset.name()).Key("labels").BeginObject();
      for (const auto& [k, v] : subset.labels()) json.Key(k).String(v);
      json.EndObject()
          .Key("trafficPolicy")
          .Raw(subset.has_traffic_policy() ? ProtoJson(subset.traffic_policy()) : "null")
          .EndObject();
    }
    json.EndArray()
        .Key("clientTls")
        .String(rule->spec->traffic_policy().has_tls()
                    ? net::ClientTLSSettings::TLSmode_Name(rule->spec->traffic_policy().tls().mode())
                    : "")
        .EndObject();
  }

  // The servers: each endpoint's mTLS mode and AuthorizationPolicies.
  json.Key("servers").BeginArray();
  for (const Endpoint& endpoint : service->endpoints) {
    const std::string ns = WorkloadNamespace(endpoint, *service);
    for (const ServicePort& port : service->ports) {
      json.BeginObject()
          .Key("address")
          .String(endpoint.address)
          .Key("port")
          .Uint(EndpointPort(endpoint, port))
          .Key("labels")
          .String(Labels(endpoint.labels))
          .Key("mtls")
          .String(ModeName(PeerMtlsMode(context, ns, endpoint.labels, EndpointPort(endpoint, port),
                                        service, &port)))
          .Key("authorizationPolicies");
      WriteAuthorizationPolicies(context, ns, endpoint.labels, json);
      json.EndObject();
    }
  }
  json.EndArray();

  json.Key("subscribers").BeginArray();
  for (const SubscriberState& subscriber : subscribers) {
    json.BeginObject()
        .Key("proxy")
        .String(subscriber.proxy)
        .Key("namespace")
        .String(subscriber.namespace_name)
        .Key("status")
        .String(subscriber.status)
        .Key("nack")
        .String(subscriber.nack)
        .EndObject();
  }
  json.EndArray().EndObject();
  return json.Take();
}

absl::StatusOr<std::string> DescribeWorkloadJson(const PushContext& context,
                                                 const std::string& workload) {
  std::vector<std::pair<const ServiceInfo*, const Endpoint*>> found;
  std::vector<std::string> known;
  for (const ServiceInfo& service : context.services()) {
    for (const Endpoint& endpoint : service.endpoints) {
      if (endpoint.workload.empty()) continue;
      if (endpoint.workload == workload) found.emplace_back(&service, &endpoint);
      if (std::find(known.begin(), known.end(), endpoint.workload) == known.end()) {
        known.push_back(endpoint.workload);
      }
    }
  }
  if (found.empty()) {
    std::vector<std::string> closest = Closest(workload, std::move(known));
    return absl::NotFoundError(absl::StrCat(
        "no WorkloadEntry \"", workload, "\" serves a service",
        closest.empty() ? "" : absl::StrCat("; closest: ", absl::StrJoin(closest, ", "))));
  }
  const Endpoint& endpoint = *found.front().second;
  JsonWriter json;
  json.BeginObject()
      .Key("workload")
      .String(workload)
      .Key("address")
      .String(endpoint.address)
      .Key("locality")
      .String(endpoint.locality)
      .Key("labels")
      .BeginObject();
  for (const auto& [k, v] : endpoint.labels) json.Key(k).String(v);
  json.EndObject().Key("services").BeginArray();
  for (const auto& [service, serving] : found) {
    json.BeginObject().Key("host").String(service->host).Key("ports").BeginArray();
    const std::string ns = WorkloadNamespace(*serving, *service);
    for (const ServicePort& port : service->ports) {
      json.BeginObject()
          .Key("number")
          .Uint(port.number)
          .Key("name")
          .String(port.name)
          .Key("targetPort")
          .Uint(EndpointPort(*serving, port))
          .Key("mtls")
          .String(ModeName(
              PeerMtlsMode(context, ns, serving->labels, EndpointPort(*serving, port), service, &port)))
          .EndObject();
    }
    json.EndArray().EndObject();
  }
  json.EndArray().Key("authorizationPolicies");
  const size_t slash = workload.find('/');
  WriteAuthorizationPolicies(context, workload.substr(0, slash), endpoint.labels, json);
  json.EndObject();
  return json.Take();
}

}  // namespace keel::pilot
