// Containers for integration tests: Keel's images run by podman as separate
// hosts on a private network, and a Helm-rendered chart run as pods.
//
// ContainerHost owns a private podman storage (images, containers, volumes,
// under /tmp) and one network with its own /24, and removes all of it at
// the end: a test addresses only its own containers.
//
//   absl::StatusOr<std::unique_ptr<ContainerHost>> host = ContainerHost::Start();
//   (*host)->BuildImages({"pilot=" + KeelBinaryPath("pilot")});
//   ChartPods chart = *ChartPods::Parse(helm_output, "keel-system");
//   (*host)->Play(chart.PodYaml("keel-pilot", ip), ip);
#ifndef KEEL_INTEGRATION_HARNESS_CONTAINERS_H_
#define KEEL_INTEGRATION_HARNESS_CONTAINERS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "integration/harness/process.h"
#include "yaml-cpp/yaml.h"

namespace keel::testing {

class ContainerHost {
 public:
  // Start makes the storage and the network. FailedPrecondition when podman
  // is not installed.
  static absl::StatusOr<std::unique_ptr<ContainerHost>> Start();
  ~ContainerHost();

  // Podman runs podman on this host's storage.
  CommandResult Podman(const std::vector<std::string>& args,
                       absl::Duration timeout = absl::Minutes(2));
  // BuildImages runs tools/images/build_images.sh into this host's storage
  // with `specs` (IMAGE[:TAG]=BINARY); returns its output (one line per
  // image: reference, size in bytes, archive).
  absl::StatusOr<std::string> BuildImages(const std::string& version,
                                          const std::vector<std::string>& specs,
                                          const std::string& archive_dir = "");

  const std::string& network() const { return network_; }
  // Address is host number `host` (2..254) of the network: "10.X.Y.host".
  std::string Address(int host) const;

  // Play is `podman kube play` of `yaml` on this network, its pod at `ip`.
  absl::Status Play(const std::string& yaml, const std::string& ip);
  // Disconnect takes pod `pod` (kube play names it "<deployment>-pod-0")
  // off the network: a partition. Reconnect puts it back at `ip`.
  absl::Status Disconnect(const std::string& pod);
  absl::Status Reconnect(const std::string& pod, const std::string& ip);
  // RemovePods removes every pod, container and volume (between tests).
  void RemovePods();
  // Exit code and state of a container ("running", "exited", "paused").
  std::string State(const std::string& container);

 private:
  ContainerHost() = default;
  std::string root_;     // storage.conf, graph and run roots
  std::string network_;  // keel-<pid>-<n>
  std::string prefix_;   // "10.X.Y."
  std::vector<std::string> env_;
};

// ChartPods: a rendered chart's manifests as `podman kube play` runs them,
// one Deployment per pod at an address of the test's choosing. What kube
// play lacks is stood in for here, and only here:
//  - Services: every pod gets host aliases naming each Service (name, .ns,
//    .ns.svc, .ns.svc.cluster.local) at the address of the Deployment its
//    selector selects;
//  - Secret volumes: podman 4.3 mounts a Secret's data undecoded, so each
//    Secret is played as a ConfigMap of its decoded data;
//  - emptyDir volumes are named after their pod (podman names a volume by
//    the manifest's name, which would share it across pods);
//  - the downward API podman 4.3 lacks: env from metadata.name,
//    metadata.namespace and status.podIP is written as its value;
//  - ports are not published (podman 4.3 would bind each containerPort on
//    the machine) and probes are not run by podman (it would need curl in
//    the image and systemd timers): a test asks ProbeUrl as the kubelet
//    would.
//  - StatefulSets: each replica is played as a Deployment named as its pod
//    (keel-etcd-0, ...), its claims as volumes of its own, with host
//    aliases for its stable name (<pod>.<service>.<ns>.svc);
//  - $(VAR) in command and args is expanded as the kubelet expands it.
// Replicas of a Deployment are 1.
class ChartPods {
 public:
  static absl::StatusOr<ChartPods> Parse(const std::string& rendered, const std::string& namespace_name);

  // Add reads more manifests (Secrets an operator creates, say) as Parse does.
  absl::Status Add(const std::string& manifests);

  // Deployments by name, in the chart's order.
  std::vector<std::string> Deployments() const;
  // Assign gives a Deployment its address (before PodYaml, for every
  // Deployment a Service selects).
  void Assign(const std::string& deployment, const std::string& ip) { ip_of_[deployment] = ip; }
  // PodYaml is what to play for `deployment`: the ConfigMaps and claims it
  // mounts, and the Deployment with host aliases.
  absl::StatusOr<std::string> PodYaml(const std::string& deployment) const;
  // The container podman names for container `container` of `deployment`.
  static std::string ContainerName(const std::string& deployment, const std::string& container) {
    return deployment + "-pod-0-" + container;
  }
  static std::string PodName(const std::string& deployment) { return deployment + "-pod-0"; }
  // ProbeUrl: http://ip:port/path of a container's "readinessProbe" or
  // "livenessProbe" (httpGet), "" if it has none.
  std::string ProbeUrl(const std::string& deployment, const std::string& container,
                       const std::string& probe) const;
 private:
  YAML::Node Deployment(const std::string& name) const;

  std::string namespace_;
  std::vector<YAML::Node> config_maps_;  // Secrets included, decoded
  std::vector<YAML::Node> claims_;
  std::vector<YAML::Node> services_;
  std::vector<std::pair<std::string, YAML::Node>> deployments_;
  std::map<std::string, std::string> ip_of_;
  std::map<std::string, std::string> pod_names_;     // a StatefulSet replica's pod name
  std::map<std::string, std::string> stable_names_;  // its governing Service
};

}  // namespace keel::testing

#endif  // KEEL_INTEGRATION_HARNESS_CONTAINERS_H_
