// Proxyless injection, as Istio's injector does for its grpc-agent template:
// a mutating admission webhook (POST /inject) that adds keel-agent beside
// the application of every pod annotated
//   inject.istio.io/templates: grpc-agent
// and points the application at the agent's xDS bootstrap.
//
// What is added comes from an injection template (the chart renders it
// from the same _agent.tpl its own workloads use):
//   containers:  [the keel-agent container]
//   volumes:     [its volumes]
//   appEnv:      [env added to every application container]
//   appMounts:   [volume mounts added to every application container]
// with ${SERVICE_ACCOUNT} and ${NAMESPACE} replaced by the pod's. The pod's
// labels become the agent's --labels (the node metadata Pilot selects
// workloads by); its namespace and service account reach Pilot through the
// node id and Citadel's identity.
#ifndef KEEL_SERVICES_GALLEY_INJECTION_H_
#define KEEL_SERVICES_GALLEY_INJECTION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/common/http_server.h"
#include "yaml-cpp/yaml.h"

namespace keel::galley {

inline constexpr char kInjectTemplatesAnnotation[] = "inject.istio.io/templates";
inline constexpr char kInjectedAnnotation[] = "keel.io/injected";

class Injector {
 public:
  // Load reads an injection template; errors name the file and the field.
  static absl::StatusOr<std::unique_ptr<Injector>> Load(const std::string& path);

  // HandleReview answers one /inject request (admission.k8s.io/v1
  // AdmissionReview of a Pod): allowed, with a JSONPatch when the pod asks
  // for grpc-agent and has no keel-agent yet.
  HttpResponse HandleReview(const HttpRequest& request) const;

 private:
  explicit Injector(YAML::Node template_root) : template_(std::move(template_root)) {}
  YAML::Node template_;
};

}  // namespace keel::galley

#endif  // KEEL_SERVICES_GALLEY_INJECTION_H_
