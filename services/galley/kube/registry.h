// The service registry of a Kubernetes cluster, as Istio 1.4's Kubernetes
// registry defined it, written as ServiceEntries that Pilot serves like any
// other (Istio 1.4's Galley did the same: "synthetic" ServiceEntries).
//
// A Service becomes a ServiceEntry in its namespace:
//   hosts      name.namespace.svc.<domain>
//   addresses  the cluster IP (none when headless)
//   ports      each port; protocol from its name ("grpc-web", "http2-x")
//              or appProtocol, else TCP (UDP stays UDP)
//   endpoints  every ready address of its EndpointSlices (of its core/v1
//              Endpoints on a cluster without discovery.k8s.io/v1), with the pod's
//              labels, service account, and the locality of its node
//              (topology.kubernetes.io/region, /zone, topology.istio.io/subzone;
//              the pod's istio-locality label wins)
//   subjectAltNames  the SPIFFE identity of every pod's service account
//   exportTo   the networking.istio.io/exportTo annotation
// An ExternalName Service resolves by DNS to its external name.
#ifndef KEEL_SERVICES_GALLEY_KUBE_REGISTRY_H_
#define KEEL_SERVICES_GALLEY_KUBE_REGISTRY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/mesh/resource.h"
#include "yaml-cpp/yaml.h"

namespace keel::galley::kube {

// The fields of core objects the registry reads.
struct ObjectMeta {
  std::string name;
  std::string namespace_name;
  std::string resource_version;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};

struct Service {
  struct Port {
    std::string name;
    uint32_t port = 0;
    std::string protocol;      // TCP, UDP, SCTP
    std::string app_protocol;  // optional
  };
  ObjectMeta meta;
  std::string type;  // ClusterIP, NodePort, LoadBalancer, ExternalName
  std::string cluster_ip;
  std::string external_name;
  std::vector<Port> ports;
};

struct EndpointSlice {
  struct Port {
    std::string name;
    uint32_t port = 0;
  };
  struct Endpoint {
    std::vector<std::string> addresses;
    bool ready = true;  // conditions.ready; absent means ready
    std::string pod;    // targetRef name when it is a Pod
    std::string node_name;
    std::string zone;
  };
  ObjectMeta meta;
  std::string service_name;  // label kubernetes.io/service-name
  std::string address_type;  // IPv4, IPv6, FQDN
  std::vector<Port> ports;
  std::vector<Endpoint> endpoints;
};

struct Pod {
  ObjectMeta meta;
  std::string service_account;
  std::string node_name;
  std::string pod_ip;
};

struct Node {
  ObjectMeta meta;
};

// Parse reads one object of the API's JSON (as yaml-cpp parsed it).
// InvalidArgument names the missing field.
absl::StatusOr<Service> ParseService(const YAML::Node& object);
absl::StatusOr<EndpointSlice> ParseEndpointSlice(const YAML::Node& object);
// ParseEndpoints reads a core/v1 Endpoints object as one slice per subset
// (addresses ready, notReadyAddresses not): the registry then reads it like
// the EndpointSlices a newer cluster writes.
absl::StatusOr<std::vector<EndpointSlice>> ParseEndpoints(const YAML::Node& object);
absl::StatusOr<Pod> ParsePod(const YAML::Node& object);
absl::StatusOr<Node> ParseNode(const YAML::Node& object);
ObjectMeta ParseMeta(const YAML::Node& object);

// What the cluster holds, by "namespace/name" (nodes by name).
struct ClusterState {
  std::map<std::string, Service> services;
  std::map<std::string, EndpointSlice> endpoint_slices;
  // From core/v1 Endpoints, where the cluster serves no EndpointSlices.
  std::map<std::string, std::vector<EndpointSlice>> endpoints;
  std::map<std::string, Pod> pods;
  std::map<std::string, Node> nodes;
};

struct RegistryOptions {
  std::string domain = "cluster.local";
  std::string trust_domain = "cluster.local";
};

// ServiceEntryName is the name of the ServiceEntry a Service becomes: a
// name no Kubernetes object can have (':' is not allowed in one), so it
// never collides with a ServiceEntry a user applies.
std::string ServiceEntryName(const std::string& service_name);
// The annotation naming the Service a ServiceEntry was made from
// ("namespace/name"), for keelctl describe and debug pages.
inline constexpr char kFromServiceAnnotation[] = "keel.io/kubernetes-service";

// BuildRegistry returns one ServiceEntry per Service, in key order.
std::vector<mesh::Resource> BuildRegistry(const ClusterState& state,
                                          const RegistryOptions& options);

// ProtocolOf is Istio's protocol for a Service port.
std::string ProtocolOf(const Service::Port& port);

}  // namespace keel::galley::kube

#endif  // KEEL_SERVICES_GALLEY_KUBE_REGISTRY_H_
