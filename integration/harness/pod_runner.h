// PodRunner: the kubelet's part of running a Pod, for a harness without a
// kubelet or a container runtime. It reads the Pod as the API server holds
// it (after every mutating webhook) and runs each container's program as a
// local process with exactly the container's environment (nothing
// inherited), its args with $(VAR) expanded as Kubernetes expands them, and
// its volumes as folders: emptyDir empty and shared by the containers that
// mount it, secret and configMap filled from the API with their modes.
//
// A process here has no mount or network namespace of its own, so two
// mappings stand in for them: each mountPath is rewritten to its volume's
// folder wherever it appears in args and env, and `rewrites` replace text
// as cluster DNS and the pod's own network would (a Service's name:port by
// the loopback address the test runs it on, a fixed listen port by port 0).
//
//   PodRunner runner(cluster, {.programs = {{"keel/agent", KeelBinaryPath("keel-agent")}},
//                              .rewrites = {{"keel-pilot.ns.svc.cluster.local:15010", pilot}}});
//   absl::StatusOr<std::unique_ptr<RunningPod>> pod = runner.Run("default", "ratings");
#ifndef KEEL_INTEGRATION_HARNESS_POD_RUNNER_H_
#define KEEL_INTEGRATION_HARNESS_POD_RUNNER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "integration/harness/kube_cluster.h"
#include "integration/harness/process.h"

namespace keel::testing {

struct PodRunnerOptions {
  // The program run for an image, by its repository (the image without
  // ":tag"); an image with none is refused.
  std::map<std::string, std::string> programs;
  // Text replaced in args and env values after the mount paths, in order.
  std::vector<std::pair<std::string, std::string>> rewrites;
};

// One container as it ran: what it was given, and its process.
struct RunningContainer {
  std::string name;
  std::vector<std::string> args;  // expanded and rewritten
  std::vector<std::string> env;   // NAME=value, exactly what it got
  std::optional<ChildProcess> process;  // set once started
};

struct RunningPod {
  std::string volumes_dir;  // one folder per volume, by its name
  std::vector<RunningContainer> containers;
  RunningContainer* Find(const std::string& name);
};

class PodRunner {
 public:
  PodRunner(KubeCluster& cluster, PodRunnerOptions options)
      : cluster_(cluster), options_(std::move(options)) {}

  // Run starts every container of namespace/name. InvalidArgument names the
  // field the runner cannot honour (an unknown image, a fieldRef it cannot
  // resolve, a kind of volume it does not make).
  absl::StatusOr<std::unique_ptr<RunningPod>> Run(const std::string& namespace_name,
                                                  const std::string& name);

 private:
  KubeCluster& cluster_;
  PodRunnerOptions options_;
};

}  // namespace keel::testing

#endif  // KEEL_INTEGRATION_HARNESS_POD_RUNNER_H_
