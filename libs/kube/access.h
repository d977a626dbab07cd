// How to reach a Kubernetes API server and who to be there: from a
// kubeconfig file (out-of-cluster runs, tests, keelctl) or from the pod's
// service account (in-cluster), as client-go resolves it.
//
//   KEEL_ASSIGN_OR_RETURN(kube::ClusterAccess access, kube::ResolveAccess(kubeconfig_flag));
#ifndef KEEL_LIBS_KUBE_ACCESS_H_
#define KEEL_LIBS_KUBE_ACCESS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace keel::kube {

struct ClusterAccess {
  std::string server;  // as configured: "https://127.0.0.1:6443"
  std::string host;    // parsed from `server`
  uint16_t port = 443;
  bool tls = true;
  // PEM. An https server is verified against `ca_pem` (required: Keel does
  // not talk to an API server it cannot verify).
  std::string ca_pem;
  std::string client_cert_pem;
  std::string client_key_pem;
  // Bearer token: `token_file` (a projected service-account token rotates)
  // is read again for every request; `token` is used when there is no file.
  std::string token;
  std::string token_file;
  // Where this access came from, for messages: "kubeconfig /x (context a)".
  std::string origin;

  // BearerToken returns the token to send now ("" for none).
  absl::StatusOr<std::string> BearerToken() const;
};

// LoadKubeconfig reads `path` and returns the access of `context` (the
// file's current-context when empty). Errors name the file and the field.
absl::StatusOr<ClusterAccess> LoadKubeconfig(const std::string& path,
                                             const std::string& context = "");

// The files a pod's service account is mounted as.
struct InClusterFiles {
  std::string token = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
};

// InClusterAccess is the pod's own: KUBERNETES_SERVICE_HOST/PORT and the
// mounted service-account token and CA.
absl::StatusOr<ClusterAccess> InClusterAccess(const InClusterFiles& files = {});

// ResolveAccess is `kubeconfig` when set, else $KUBECONFIG, else in-cluster.
absl::StatusOr<ClusterAccess> ResolveAccess(const std::string& kubeconfig,
                                            const std::string& context = "");

}  // namespace keel::kube

#endif  // KEEL_LIBS_KUBE_ACCESS_H_
