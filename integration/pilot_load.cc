// Pilot under load: N ADS streams acting as proxyless gRPC clients against
// Pilot holding S services x E endpoints (the real galley and pilot
// binaries on loopback).
//
//   bazel run -c opt //integration:pilot_load -- --streams=1000 --services=1000 --endpoints=10
//
// Prints: time until every stream holds its full config, time from one
// VirtualService change until every stream has it (and ACKed), and Pilot's
// peak RSS and CPU seconds.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "integration/harness/mesh.h"
#include "libs/common/binary.h"
#include "libs/common/http_client.h"
#include "libs/xds/ads_client.h"

ABSL_FLAG(int, streams, 1000, "ADS streams (simulated proxyless clients).");
ABSL_FLAG(int, services, 1000, "Services (ServiceEntry + DestinationRule + VirtualService each).");
ABSL_FLAG(int, endpoints, 10, "WorkloadEntries per service.");
ABSL_FLAG(bool, delta, false, "Use delta xDS (default: state of the world, as gRPC 1.51 does).");

namespace keel::testing {
namespace {

constexpr char kLds[] = "type.googleapis.com/envoy.config.listener.v3.Listener";
constexpr char kRds[] = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
constexpr char kCds[] = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
constexpr char kEds[] = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

std::string Host(int s) { return absl::StrCat("svc-", s, ".load.svc.cluster.local"); }

std::string VirtualService(int s, int weight) {
  return absl::StrCat(
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: svc-", s,
      ", namespace: load}\nspec:\n  hosts: [", Host(s),
      "]\n  http:\n  - route:\n    - destination: {host: ", Host(s),
      ", subset: v1}\n      weight: ", weight, "\n    - destination: {host: ", Host(s),
      ", subset: v2}\n      weight: ", 100 - weight, "\n");
}

void WriteConfig(const std::string& dir, int services, int endpoints) {
  for (int s = 0; s < services; ++s) {
    std::ofstream out(absl::StrCat(dir, "/svc-", s, ".yaml"));
    out << "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: svc-" << s
        << ", namespace: load}\nspec:\n  hosts: [" << Host(s)
        << "]\n  location: MESH_INTERNAL\n  ports: [{number: 7070, name: grpc, protocol: GRPC}]\n"
        << "  resolution: STATIC\n  workloadSelector: {labels: {app: svc-" << s << "}}\n---\n"
        << "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: svc-" << s
        << ", namespace: load}\nspec:\n  host: " << Host(s)
        << "\n  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: "
           "v2}}]\n---\n";
    if (s != 0) out << VirtualService(s, 80) << "---\n";
    for (int e = 0; e < endpoints; ++e) {
      out << "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: svc-" << s
          << "-" << e << ", namespace: load}\nspec:\n  address: 10." << (s / 250) << "."
          << (s % 250) << "." << e + 1 << "\n  ports: {grpc: 7070}\n  labels: {app: svc-" << s
          << ", version: v" << (e % 2) + 1 << "}\n---\n";
    }
  }
  std::ofstream(dir + "/frontend.yaml") << VirtualService(0, 80);
}

struct ProcessUsage {
  double cpu_seconds = 0;
  double peak_rss_mb = 0;
};

ProcessUsage Usage(pid_t pid) {
  ProcessUsage usage;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (absl::StartsWith(line, "VmHWM:")) usage.peak_rss_mb = std::stod(line.substr(6)) / 1024.0;
  }
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::vector<std::string> fields = absl::StrSplit(all.substr(all.rfind(')') + 2), ' ');
  usage.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) / sysconf(_SC_CLK_TCK);
  return usage;
}

int Run() {
  const int streams = absl::GetFlag(FLAGS_streams);
  const int services = absl::GetFlag(FLAGS_services);
  const int endpoints = absl::GetFlag(FLAGS_endpoints);
  struct rlimit limit = {65536, 65536};
  setrlimit(RLIMIT_NOFILE, &limit);
  const std::string dir =
      absl::StrCat(std::filesystem::temp_directory_path().string(), "/keel-pilot-load-", getpid());
  std::filesystem::create_directories(dir);
  WriteConfig(dir, services, endpoints);

  Mesh mesh;
  absl::StatusOr<RunningService*> galley =
      mesh.Start("galley", {"--config_dir=" + dir, "--log_level=warn"});
  if (!galley.ok() || !(*galley)->WaitReady(absl::Seconds(120)).ok()) {
    std::fprintf(stderr, "galley did not start\n");
    return 1;
  }
  absl::StatusOr<RunningService*> pilot =
      mesh.Start("pilot", {"--galley_address=" + (*galley)->grpc_address(), "--log_level=warn"});
  if (!pilot.ok() || !(*pilot)->WaitReady(absl::Seconds(120)).ok()) {
    std::fprintf(stderr, "pilot did not start\n");
    return 1;
  }
  const ProcessUsage idle = Usage((*pilot)->process().pid());
  std::printf("pilot: %d services x %d endpoints, %d streams (%s)\n", services, endpoints, streams,
              absl::GetFlag(FLAGS_delta) ? "delta" : "state of the world");
  std::printf("pilot after loading config: rss %.0f MB, cpu %.2f s\n", idle.peak_rss_mb,
              idle.cpu_seconds);

  // Each client asks, as gRPC does, for one service's listener, route,
  // clusters and endpoints, plus the shared frontend (svc-0).
  std::vector<std::unique_ptr<xds::AdsClient>> clients;
  const absl::Time start = absl::Now();
  for (int i = 0; i < streams; ++i) {
    const int s = 1 + i % std::max(1, services - 1);
    xds::AdsClientOptions options;
    options.server_address = (*pilot)->grpc_address();
    options.node.set_id(absl::StrCat("load-", i));
    options.delta = absl::GetFlag(FLAGS_delta);
    options.sotw_resource_name = [](const google::protobuf::Any&) { return std::string(); };
    auto client = std::make_unique<xds::AdsClient>(options, nullptr);
    std::set<std::string> names, clusters;
    for (int svc : {0, s}) {
      names.insert(absl::StrCat(Host(svc), ":7070"));
      for (const char* subset : {"", "v1", "v2"})
        clusters.insert(absl::StrCat("outbound|7070|", subset, "|", Host(svc)));
    }
    client->Subscribe(kLds, names);
    client->Subscribe(kRds, names);
    client->Subscribe(kCds, clusters);
    client->Subscribe(kEds, clusters);
    client->Start();
    clients.push_back(std::move(client));
  }
  for (auto& client : clients)
    client->WaitUntil([](const xds::AdsClient& c) { return c.Synced(); }, absl::Minutes(5));
  const absl::Duration full_sync = absl::Now() - start;
  std::printf("all %d streams hold their full config: %.3f s\n", streams,
              absl::ToDoubleSeconds(full_sync));

  const std::string before = clients[0]->Version(kRds);
  const absl::Time changed = absl::Now();
  std::ofstream(dir + "/frontend.yaml.tmp") << VirtualService(0, 10);
  std::filesystem::rename(dir + "/frontend.yaml.tmp", dir + "/frontend.yaml");
  for (auto& client : clients) {
    client->WaitUntil([&](const xds::AdsClient& c) { return c.Version(kRds) != before; },
                      absl::Minutes(5));
  }
  const absl::Duration propagate = absl::Now() - changed;
  std::printf(
      "one VirtualService change to all %d streams (applied and ACKed): %.3f s "
      "(includes Galley's and Pilot's 100 ms debounces)\n",
      streams, absl::ToDoubleSeconds(propagate));
  const ProcessUsage usage = Usage((*pilot)->process().pid());
  std::printf("pilot peak rss: %.0f MB, cpu: %.2f s total (%.2f s serving the streams)\n",
              usage.peak_rss_mb, usage.cpu_seconds, usage.cpu_seconds - idle.cpu_seconds);
  for (auto& client : clients) client->Stop();
  mesh.StopAll();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace keel::testing

int main(int argc, char** argv) {
  keel::InitBinaryOrExit(argc, argv, "pilot_load", "Pilot load test: N ADS streams.");
  return keel::testing::Run();
}
