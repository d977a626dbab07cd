// Galley's Kubernetes source at scale, against the real API server the
// tests run.
//
//   bazel run -c opt //integration:kube_bench -- --services=5000 --endpoints=10
//
// The cluster holds S Services, each with an EndpointSlice of E ready
// endpoints (written as a controller would for Services without a
// selector: creating S x E Pods through the API would measure the API
// server). Printed:
//   - the API server's own floor: one paged list of every EndpointSlice
//     (kubectl get --raw, 500 a page), beside
//   - Galley from start to its first full MCP snapshot (ready), and its
//     RSS then;
//   - Pilot with one client: a Pod of a selector Service made Ready
//     (status patch) -> the client's EDS holds its address, N times.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "integration/harness/kube_cluster.h"
#include "integration/harness/mesh.h"
#include "libs/common/binary.h"
#include "libs/xds/ads_client.h"
#include "libs/xds/type_urls.h"

ABSL_FLAG(int, services, 5000, "Services, each with one EndpointSlice.");
ABSL_FLAG(int, endpoints, 10, "Ready endpoints per Service.");
ABSL_FLAG(int, changes, 5, "Pod readiness changes timed to a client's EDS.");

namespace keel::testing {
namespace {

double Seconds(absl::Time since) { return absl::ToDoubleSeconds(absl::Now() - since); }

// The objects, as kubectl applies them: S Services and their slices.
std::string Objects(int services, int endpoints) {
  std::string out;
  for (int s = 0; s < services; ++s) {
    absl::StrAppend(&out, "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc-", s,
                    ", namespace: default}\nspec:\n  ports: [{name: grpc, port: 8080}]\n"
                    "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n"
                    "  name: svc-", s, "-1\n  namespace: default\n  labels:\n"
                    "    kubernetes.io/service-name: svc-", s,
                    "\n    endpointslice.kubernetes.io/managed-by: keel-bench\n"
                    "addressType: IPv4\nports: [{name: grpc, port: 8080}]\nendpoints:\n");
    for (int e = 0; e < endpoints; ++e) {
      absl::StrAppend(&out, "- addresses: [\"10.", 1 + s / 250, ".", s % 250, ".", e + 1,
                      "\"]\n  conditions: {ready: true}\n");
    }
  }
  return out;
}

bool HasEndpoint(const xds::AdsClient& client, const std::string& cluster, const std::string& ip) {
  for (const auto& [name, resource] : client.Resources(xds::kEndpointType)) {
    if (name != cluster) continue;
    envoy::config::endpoint::v3::ClusterLoadAssignment assignment;
    if (!resource->body.UnpackTo(&assignment)) return false;
    for (const auto& locality : assignment.endpoints()) {
      for (const auto& endpoint : locality.lb_endpoints()) {
        if (endpoint.endpoint().address().socket_address().address() == ip) return true;
      }
    }
  }
  return false;
}

int Run() {
  const int services = absl::GetFlag(FLAGS_services);
  const int endpoints = absl::GetFlag(FLAGS_endpoints);
  std::printf("kube_bench: %d Services x %d endpoints (%d EndpointSlices), Kubernetes v1.37.2 on "
              "Debian's etcd\n",
              services, endpoints, services);
  absl::StatusOr<std::unique_ptr<KubeCluster>> kube = KubeCluster::Start();
  if (!kube.ok()) {
    std::fprintf(stderr, "%s\n", std::string(kube.status().message()).c_str());
    return 1;
  }
  KubeCluster& cluster = **kube;
  absl::Time start = absl::Now();
  const std::string yaml_path = cluster.dir() + "/objects.yaml";
  std::ofstream(yaml_path) << Objects(services, endpoints);
  CommandResult created =
      cluster.Kubectl({"create", "-f", yaml_path, "-o", "name"}, "", absl::Minutes(20));
  if (created.exit.status != 0) {
    std::fprintf(stderr, "kubectl create: %s\n", created.err.substr(0, 2000).c_str());
    return 1;
  }
  std::printf("  objects created with kubectl          %8.1f s\n", Seconds(start));

  start = absl::Now();
  CommandResult listed = cluster.Kubectl(
      {"get", "--raw", "/apis/discovery.k8s.io/v1/endpointslices?limit=500", "-v=0"});
  std::printf("  baseline: one page of slices (raw)    %8.3f s  (%zu bytes)\n", Seconds(start),
              listed.out.size());
  start = absl::Now();
  CommandResult all = cluster.Kubectl({"get", "endpointslices", "-A", "--chunk-size=500", "-o", "name"});
  std::printf("  baseline: kubectl lists every slice   %8.3f s  (%zu lines)\n", Seconds(start),
              static_cast<size_t>(std::count(all.out.begin(), all.out.end(), '\n')));

  Mesh mesh;
  start = absl::Now();
  absl::StatusOr<RunningService*> galley =
      mesh.Start("galley", {"--config_source=kubernetes", "--kubeconfig=" + cluster.admin_kubeconfig(),
                            "--debounce=20ms"});
  if (!galley.ok() || !(*galley)->WaitReady(absl::Seconds(300)).ok()) {
    std::fprintf(stderr, "galley did not become ready\n");
    mesh.DumpLogs(std::cerr);
    return 1;
  }
  const double to_snapshot = Seconds(start);
  const ProcessUsage galley_usage = ReadProcessUsage((*galley)->process().pid());
  std::printf("  Galley start -> first full snapshot   %8.3f s  RSS %.1f MB (peak %.1f MB)\n",
              to_snapshot, galley_usage.rss_mb, galley_usage.peak_rss_mb);

  absl::StatusOr<RunningService*> pilot =
      mesh.Start("pilot", {"--galley_address=" + (*galley)->grpc_address(), "--debounce_after=20ms"});
  if (!pilot.ok() || !(*pilot)->WaitReady(absl::Seconds(300)).ok()) {
    std::fprintf(stderr, "pilot did not become ready\n");
    return 1;
  }
  const ProcessUsage pilot_usage = ReadProcessUsage((*pilot)->process().pid());
  std::printf("  Pilot RSS with the registry           %8.1f MB\n", pilot_usage.rss_mb);

  // A Service with a selector and one Pod the EndpointSlice controller
  // follows; its readiness is toggled and timed to a client's EDS.
  if (!cluster.Apply(R"(apiVersion: v1
kind: Node
metadata: {name: bench-node}
---
apiVersion: v1
kind: Service
metadata: {name: timed, namespace: default}
spec:
  selector: {app: timed}
  ports: [{name: grpc, port: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: timed-0, namespace: default, labels: {app: timed}}
spec:
  nodeName: bench-node
  containers: [{name: app, image: example/app:1}]
)").ok()) {
    std::fprintf(stderr, "could not create the timed pod\n");
    return 1;
  }
  xds::AdsClientOptions options;
  options.server_address = (*pilot)->grpc_address();
  options.node.set_id("sidecar~10.0.0.9~client.default~default.svc.cluster.local");
  xds::AdsClient client(options, nullptr);
  const std::string timed_cluster = "outbound|8080||timed.default.svc.cluster.local";
  client.Subscribe(xds::kClusterType, {});
  client.Subscribe(xds::kEndpointType, {timed_cluster});
  client.Start();
  std::vector<double> latencies;
  const std::string ip = "192.0.2.77";
  for (int i = 0; i < absl::GetFlag(FLAGS_changes); ++i) {
    for (bool ready : {true, false}) {
      const absl::Time changed = absl::Now();
      if (!cluster.MarkPodRunning("default", "timed-0", ip, ready).ok()) return 1;
      if (!client.WaitUntil([&](const xds::AdsClient& c) { return HasEndpoint(c, timed_cluster, ip) == ready; },
                            absl::Seconds(60))) {
        std::fprintf(stderr, "the client never saw the change\n");
        return 1;
      }
      if (ready) latencies.push_back(Seconds(changed) * 1000);
    }
  }
  client.Stop();
  std::sort(latencies.begin(), latencies.end());
  std::printf("  Pod Ready -> client's EDS (ms)        median %.0f  min %.0f  max %.0f  (n=%zu)\n",
              latencies[latencies.size() / 2], latencies.front(), latencies.back(), latencies.size());
  const ProcessUsage galley_after = ReadProcessUsage((*galley)->process().pid());
  std::printf("  Galley CPU so far                     %8.1f s\n", galley_after.cpu_seconds);
  mesh.StopAll();
  return 0;
}

}  // namespace
}  // namespace keel::testing

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  keel::InitBinaryOrExit(argc, argv, "kube_bench",
                         "Galley's Kubernetes source at scale, beside the API server's own list.");
  return keel::testing::Run();
}
