// KubeCluster runs a real Kubernetes control plane for a test, as envtest
// does: Debian's etcd, the pinned kube-apiserver (RBAC on, a generated CA,
// serving certificate and service-account key, on free loopback ports) and
// kube-controller-manager (its EndpointSlice, service-account and namespace
// controllers). There is no kubelet: tests create Pods and set their status
// (IP, Ready) through the API.
//
//   absl::StatusOr<std::unique_ptr<KubeCluster>> kube = KubeCluster::Start();
//   ASSERT_TRUE((*kube)->Apply(yaml).ok());
//   (*kube)->Kubectl({"get", "pods", "-A"});
#ifndef KEEL_INTEGRATION_HARNESS_KUBE_CLUSTER_H_
#define KEEL_INTEGRATION_HARNESS_KUBE_CLUSTER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "integration/harness/etcd_cluster.h"
#include "integration/harness/process.h"

namespace keel::testing {

// KubeBinary is where the project's install script put `name`
// (kube-apiserver, kube-controller-manager, kubectl).
std::string KubeBinary(const std::string& name);

class KubeCluster {
 public:
  struct Options {
    bool controller_manager = true;
    // false: the API server serves no discovery.k8s.io/v1 and the
    // Endpoints controller runs instead of the EndpointSlice one, as in a
    // cluster before 1.21.
    bool endpoint_slices = true;
  };
  // Start returns once the API server is ready and, with the controller
  // manager, the "default" namespace has its default service account.
  // FailedPrecondition when the binaries are not installed.
  static absl::StatusOr<std::unique_ptr<KubeCluster>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<KubeCluster>> Start() { return Start(Options()); }
  ~KubeCluster();

  const std::string& server() const { return server_; }  // https://127.0.0.1:port
  const std::string& dir() const { return dir_; }
  const std::string& ca_file() const { return ca_file_; }
  // A kubeconfig of the cluster's administrator (system:masters).
  const std::string& admin_kubeconfig() const { return admin_kubeconfig_; }

  // Kubectl runs kubectl as the administrator.
  CommandResult Kubectl(const std::vector<std::string>& args, const std::string& stdin_text = "",
                        absl::Duration timeout = absl::Seconds(60));
  // Apply is `kubectl apply -f -` of `yaml`; the error carries kubectl's message.
  absl::Status Apply(const std::string& yaml);
  // JsonPath is `kubectl get <what> -o jsonpath=<path>`'s output.
  absl::StatusOr<std::string> JsonPath(const std::vector<std::string>& what, const std::string& path);

  // ServiceAccountKubeconfig writes a kubeconfig whose user is the service
  // account namespace/name, with a token from the TokenRequest API.
  absl::StatusOr<std::string> ServiceAccountKubeconfig(const std::string& namespace_name,
                                                       const std::string& name);

  // Signs a serving certificate for `names` (DNS names or IPs) with the
  // cluster's CA, for webhooks the API server calls; returns {cert, key} paths.
  absl::StatusOr<std::pair<std::string, std::string>> IssueServingCertificate(
      const std::string& stem, const std::vector<std::string>& names);

  // Pods have no kubelet: MarkPodRunning sets a pod's IP and Ready condition
  // through its status subresource, as a kubelet would.
  absl::Status MarkPodRunning(const std::string& namespace_name, const std::string& pod,
                              const std::string& ip, bool ready = true);

  // StopApiServer ends the API server (SIGTERM); StartApiServer starts it
  // again on the same port and data, and waits until it is ready.
  void StopApiServer();
  absl::Status StartApiServer();

  EtcdCluster& etcd() { return *etcd_; }

  // The API server's log so far.
  std::string ApiServerLog() const;

 private:
  KubeCluster() = default;
  absl::Status WaitReady();

  std::string dir_;
  std::string server_;
  std::string ca_file_;
  std::string admin_kubeconfig_;
  std::unique_ptr<EtcdCluster> etcd_;
  std::vector<std::string> apiserver_args_;
  bool endpoint_slices_ = true;
  std::optional<ChildProcess> apiserver_;
  std::optional<ChildProcess> controller_manager_;
};

}  // namespace keel::testing

#endif  // KEEL_INTEGRATION_HARNESS_KUBE_CLUSTER_H_
