#include "services/galley/kube/registry.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "proto/istio/networking/v1alpha3/service_entry.pb.h"

namespace keel::galley::kube {
namespace {

namespace net = ::istio::networking::v1alpha3;

// yaml-cpp throws when a missing member is used: every read checks first.
bool IsMap(const YAML::Node& node) { return node && node.IsMap(); }
bool IsSequence(const YAML::Node& node) { return node && node.IsSequence(); }

std::string Text(const YAML::Node& map, const char* key) {
  if (!IsMap(map)) return "";
  const YAML::Node value = map[key];
  return value && value.IsScalar() ? value.as<std::string>() : "";
}

uint32_t Number(const YAML::Node& map, const char* key) {
  if (!IsMap(map) || !map[key] || !map[key].IsScalar()) return 0;
  try {
    return map[key].as<uint32_t>();
  } catch (const YAML::Exception&) {
    return 0;
  }
}

std::map<std::string, std::string> StringMap(const YAML::Node& map) {
  std::map<std::string, std::string> out;
  if (!IsMap(map)) return out;
  for (const auto& entry : map) {
    if (entry.second.IsScalar()) out[entry.first.as<std::string>()] = entry.second.as<std::string>();
  }
  return out;
}

absl::Status NeedName(const ObjectMeta& meta, const char* kind) {
  if (meta.name.empty()) return absl::InvalidArgumentError(absl::StrCat(kind, ": metadata.name is missing"));
  return absl::OkStatus();
}

// Locality "region/zone/subzone" from a node's labels (the current
// topology labels, then the beta ones Kubernetes of Istio 1.4's time set).
std::string NodeLocality(const Node* node, const std::string& slice_zone) {
  std::string region, zone, subzone;
  if (node != nullptr) {
    auto label = [&](const char* current, const char* beta) {
      if (auto it = node->meta.labels.find(current); it != node->meta.labels.end()) return it->second;
      if (auto it = node->meta.labels.find(beta); it != node->meta.labels.end()) return it->second;
      return std::string();
    };
    region = label("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region");
    zone = label("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone");
    subzone = label("topology.istio.io/subzone", "topology.istio.io/subzone");
  }
  if (zone.empty()) zone = slice_zone;
  if (region.empty() && zone.empty() && subzone.empty()) return "";
  std::string locality = region;
  if (!zone.empty() || !subzone.empty()) absl::StrAppend(&locality, "/", zone);
  if (!subzone.empty()) absl::StrAppend(&locality, "/", subzone);
  return locality;
}

}  // namespace

ObjectMeta ParseMeta(const YAML::Node& object) {
  const YAML::Node metadata = IsMap(object) ? object["metadata"] : YAML::Node();
  ObjectMeta meta;
  meta.name = Text(metadata, "name");
  meta.namespace_name = Text(metadata, "namespace");
  meta.resource_version = Text(metadata, "resourceVersion");
  if (IsMap(metadata)) {
    meta.labels = StringMap(metadata["labels"]);
    meta.annotations = StringMap(metadata["annotations"]);
  }
  return meta;
}

absl::StatusOr<Service> ParseService(const YAML::Node& object) {
  Service service{.meta = ParseMeta(object)};
  if (absl::Status s = NeedName(service.meta, "Service"); !s.ok()) return s;
  const YAML::Node spec = IsMap(object) ? object["spec"] : YAML::Node();
  service.type = Text(spec, "type");
  if (service.type.empty()) service.type = "ClusterIP";
  service.cluster_ip = Text(spec, "clusterIP");
  service.external_name = Text(spec, "externalName");
  if (IsMap(spec) && IsSequence(spec["ports"])) {
    for (const YAML::Node& port : spec["ports"]) {
      service.ports.push_back({.name = Text(port, "name"),
                               .port = Number(port, "port"),
                               .protocol = Text(port, "protocol"),
                               .app_protocol = Text(port, "appProtocol")});
    }
  }
  return service;
}

absl::StatusOr<EndpointSlice> ParseEndpointSlice(const YAML::Node& object) {
  EndpointSlice slice{.meta = ParseMeta(object)};
  if (absl::Status s = NeedName(slice.meta, "EndpointSlice"); !s.ok()) return s;
  if (auto it = slice.meta.labels.find("kubernetes.io/service-name"); it != slice.meta.labels.end()) {
    slice.service_name = it->second;
  }
  slice.address_type = Text(object, "addressType");
  if (IsSequence(object["ports"])) {
    for (const YAML::Node& port : object["ports"]) {
      slice.ports.push_back({.name = Text(port, "name"), .port = Number(port, "port")});
    }
  }
  if (IsSequence(object["endpoints"])) {
    for (const YAML::Node& node : object["endpoints"]) {
      EndpointSlice::Endpoint endpoint;
      if (IsSequence(node["addresses"])) {
        for (const YAML::Node& address : node["addresses"]) {
          if (address.IsScalar()) endpoint.addresses.push_back(address.as<std::string>());
        }
      }
      const YAML::Node conditions = node["conditions"];
      if (IsMap(conditions) && conditions["ready"] && conditions["ready"].IsScalar()) {
        endpoint.ready = conditions["ready"].as<std::string>() == "true";
      }
      const YAML::Node target = node["targetRef"];
      if (Text(target, "kind") == "Pod") endpoint.pod = Text(target, "name");
      endpoint.node_name = Text(node, "nodeName");
      endpoint.zone = Text(node, "zone");
      slice.endpoints.push_back(std::move(endpoint));
    }
  }
  return slice;
}

absl::StatusOr<std::vector<EndpointSlice>> ParseEndpoints(const YAML::Node& object) {
  const ObjectMeta meta = ParseMeta(object);
  if (absl::Status s = NeedName(meta, "Endpoints"); !s.ok()) return s;
  std::vector<EndpointSlice> slices;
  if (!IsSequence(object["subsets"])) return slices;
  for (const YAML::Node& subset : object["subsets"]) {
    EndpointSlice slice{.meta = meta, .service_name = meta.name, .address_type = "IPv4"};
    if (IsSequence(subset["ports"])) {
      for (const YAML::Node& port : subset["ports"]) {
        slice.ports.push_back({.name = Text(port, "name"), .port = Number(port, "port")});
      }
    }
    for (const auto& [field, ready] : {std::pair{"addresses", true}, {"notReadyAddresses", false}}) {
      if (!IsSequence(subset[field])) continue;
      for (const YAML::Node& address : subset[field]) {
        EndpointSlice::Endpoint endpoint{.ready = ready};
        endpoint.addresses.push_back(Text(address, "ip"));
        if (Text(address["targetRef"], "kind") == "Pod") endpoint.pod = Text(address["targetRef"], "name");
        endpoint.node_name = Text(address, "nodeName");
        if (absl::StrContains(endpoint.addresses.back(), ':')) slice.address_type = "IPv6";
        slice.endpoints.push_back(std::move(endpoint));
      }
    }
    slices.push_back(std::move(slice));
  }
  return slices;
}

absl::StatusOr<Pod> ParsePod(const YAML::Node& object) {
  Pod pod{.meta = ParseMeta(object)};
  if (absl::Status s = NeedName(pod.meta, "Pod"); !s.ok()) return s;
  const YAML::Node spec = object["spec"];
  pod.service_account = Text(spec, "serviceAccountName");
  if (pod.service_account.empty()) pod.service_account = Text(spec, "serviceAccount");
  if (pod.service_account.empty()) pod.service_account = "default";
  pod.node_name = Text(spec, "nodeName");
  pod.pod_ip = Text(object["status"], "podIP");
  return pod;
}

absl::StatusOr<Node> ParseNode(const YAML::Node& object) {
  Node node{.meta = ParseMeta(object)};
  if (absl::Status s = NeedName(node.meta, "Node"); !s.ok()) return s;
  return node;
}

std::string ServiceEntryName(const std::string& service_name) {
  return absl::StrCat("kubernetes:", service_name);
}

std::string ProtocolOf(const Service::Port& port) {
  if (absl::EqualsIgnoreCase(port.protocol, "UDP")) return "UDP";
  // Istio's names, longest first so "grpc-web" is not read as "grpc".
  static const char* const kProtocols[][2] = {
      {"grpc-web", "GRPC-Web"}, {"grpc", "GRPC"},   {"http2", "HTTP2"}, {"https", "HTTPS"},
      {"http", "HTTP"},         {"mongo", "Mongo"}, {"mysql", "MySQL"}, {"redis", "Redis"},
      {"tcp", "TCP"},           {"tls", "TLS"},     {"udp", "UDP"},
  };
  auto match = [&](const std::string& text, bool prefix) -> std::string {
    const std::string lower = absl::AsciiStrToLower(text);
    for (const auto& [name, protocol] : kProtocols) {
      if (lower == name || (prefix && absl::StartsWith(lower, absl::StrCat(name, "-")))) {
        return protocol;
      }
    }
    return "";
  };
  if (std::string by_app = match(port.app_protocol, false); !by_app.empty()) return by_app;
  if (std::string by_name = match(port.name, true); !by_name.empty()) return by_name;
  return "TCP";
}

std::vector<mesh::Resource> BuildRegistry(const ClusterState& state, const RegistryOptions& options) {
  // The slices of each service.
  std::map<std::string, std::vector<const EndpointSlice*>> slices_of;
  for (const auto& [key, slice] : state.endpoint_slices) {
    if (slice.service_name.empty() || slice.address_type == "FQDN") continue;
    slices_of[absl::StrCat(slice.meta.namespace_name, "/", slice.service_name)].push_back(&slice);
  }
  for (const auto& [key, slices] : state.endpoints) {
    for (const EndpointSlice& slice : slices) slices_of[key].push_back(&slice);
  }
  const mesh::KindInfo& kind = mesh::kinds::ServiceEntry.info();
  std::vector<mesh::Resource> entries;
  for (const auto& [key, service] : state.services) {
    auto spec = std::make_shared<net::ServiceEntry>();
    const std::string& ns = service.meta.namespace_name;
    spec->add_hosts(absl::StrCat(service.meta.name, ".", ns, ".svc.", options.domain));
    spec->set_location(net::ServiceEntry::MESH_INTERNAL);
    for (const Service::Port& port : service.ports) {
      net::ServicePort* out = spec->add_ports();
      out->set_number(port.port);
      out->set_name(port.name.empty() ? absl::StrCat(absl::AsciiStrToLower(port.protocol.empty() ? "tcp" : port.protocol), "-", port.port) : port.name);
      out->set_protocol(ProtocolOf(port));
    }
    if (auto it = service.meta.annotations.find("networking.istio.io/exportTo");
        it != service.meta.annotations.end()) {
      for (absl::string_view to : absl::StrSplit(it->second, ',', absl::SkipWhitespace())) {
        spec->add_export_to(std::string(absl::StripAsciiWhitespace(to)));
      }
    }
    if (service.type == "ExternalName") {
      spec->set_location(net::ServiceEntry::MESH_EXTERNAL);
      spec->set_resolution(net::ServiceEntry::DNS);
      if (!service.external_name.empty()) {
        net::WorkloadEntry* endpoint = spec->add_endpoints();
        endpoint->set_address(service.external_name);
      }
    } else {
      // Headless services keep their endpoints too: a proxyless client
      // balances over them itself (Istio's passthrough needs a proxy).
      spec->set_resolution(net::ServiceEntry::STATIC);
      if (!service.cluster_ip.empty() && service.cluster_ip != "None") {
        spec->add_addresses(service.cluster_ip);
      }
      std::set<std::string> identities;
      std::set<std::string> seen_addresses;
      for (const EndpointSlice* slice : slices_of[key]) {
        for (const EndpointSlice::Endpoint& endpoint : slice->endpoints) {
          if (!endpoint.ready) continue;
          const Pod* pod = nullptr;
          if (!endpoint.pod.empty()) {
            if (auto it = state.pods.find(absl::StrCat(ns, "/", endpoint.pod)); it != state.pods.end()) {
              pod = &it->second;
            }
          }
          const std::string node_name = !endpoint.node_name.empty() ? endpoint.node_name
                                        : pod != nullptr            ? pod->node_name
                                                                    : "";
          const Node* node = nullptr;
          if (auto it = state.nodes.find(node_name); it != state.nodes.end()) node = &it->second;
          std::string locality = NodeLocality(node, endpoint.zone);
          if (pod != nullptr) {
            if (auto it = pod->meta.labels.find("istio-locality"); it != pod->meta.labels.end()) {
              locality = absl::StrReplaceAll(it->second, {{".", "/"}});
            }
          }
          for (const std::string& address : endpoint.addresses) {
            // An address may serve several pods (host-network pods differ
            // by port), but one endpoint is listed once.
            std::string seen_key = address;
            for (const EndpointSlice::Port& port : slice->ports) absl::StrAppend(&seen_key, "|", port.name, "=", port.port);
            if (!seen_addresses.insert(seen_key).second) continue;
            net::WorkloadEntry* out = spec->add_endpoints();
            out->set_address(address);
            for (const EndpointSlice::Port& port : slice->ports) {
              // A slice port is named as its service port; an unnamed one
              // belongs to the service's only port.
              std::string name = port.name;
              if (name.empty() && spec->ports_size() == 1) name = spec->ports(0).name();
              (*out->mutable_ports())[name] = port.port;
            }
            if (pod != nullptr) {
              for (const auto& [label, value] : pod->meta.labels) (*out->mutable_labels())[label] = value;
              out->set_service_account(pod->service_account);
              identities.insert(absl::StrCat("spiffe://", options.trust_domain, "/ns/", ns, "/sa/",
                                             pod->service_account));
            }
            if (!locality.empty()) out->set_locality(locality);
          }
        }
      }
      for (const std::string& identity : identities) spec->add_subject_alt_names(identity);
    }
    mesh::Resource resource;
    resource.kind = &kind;
    resource.api_version = kind.api_version();
    resource.name = ServiceEntryName(service.meta.name);
    resource.namespace_name = ns;
    resource.labels = service.meta.labels;
    resource.annotations[kFromServiceAnnotation] = key;
    resource.spec = std::move(spec);
    resource.position.file = absl::StrCat("services/", key);
    resource.spec_bytes = resource.SpecBytes();
    resource.content_hash = resource.ComputeContentHash();
    entries.push_back(std::move(resource));
  }
  return entries;
}

}  // namespace keel::galley::kube
