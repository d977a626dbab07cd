// Galley at scale: load and validate 10,000 generated resources, then serve
// them to 10 MCP subscribers over real gRPC on loopback.
//
//   bazel run -c opt //services/galley:galley_benchmark [-- --resources=10000 --subscribers=10]
//
// Prints, each beside its baseline measured in the same run:
//   - parse only (YAML -> typed resources) vs parse + validate + publish,
//     and yaml-cpp's loader alone (the reader before libs/mesh/yaml_tree.h);
//   - time until every subscriber holds the full set (delta and SotW);
//   - time from one file changing until every subscriber has the change.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/binary.h"
#include "libs/mesh/resource.h"
#include "libs/mesh/validation/validate.h"
#include "libs/xds/ads_client.h"
#include "proto/istio/mcp/v1alpha1/resource.pb.h"
#include "services/galley/galley_service.h"
#include "services/galley/mcp_source.h"
#include "services/galley/sources/file_source.h"
#include "yaml-cpp/yaml.h"

ABSL_FLAG(int, resources, 10000, "Resources to generate.");
ABSL_FLAG(int, subscribers, 10, "MCP subscribers.");

namespace keel::galley {
namespace {

constexpr int kPerFile = 100;
const char* const kTypes[] = {
    "networking.istio.io/v1alpha3/VirtualService", "networking.istio.io/v1alpha3/DestinationRule",
    "networking.istio.io/v1alpha3/ServiceEntry", "networking.istio.io/v1alpha3/WorkloadEntry"};

// Four kinds in turn; resource i of service s = i / 4.
std::string Resource(int i, int weight) {
  const int s = i / 4;
  const std::string name = absl::StrCat("svc-", s);
  switch (i % 4) {
    case 0:
      return absl::StrCat(
          "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ", name,
          ", namespace: bench}\nspec:\n  hosts: [", name,
          ".bench.svc.cluster.local]\n  http:\n  - match: [{headers: {end-user: {exact: jason}}}]\n"
          "    route: [{destination: {host: ",
          name,
          ".bench.svc.cluster.local, subset: v2}}]\n"
          "  - timeout: 5s\n    retries: {attempts: 3, perTryTimeout: 1s, retryOn: unavailable}\n"
          "    route:\n    - destination: {host: ",
          name, ".bench.svc.cluster.local, subset: v1}\n      weight: ", weight,
          "\n    - destination: {host: ", name,
          ".bench.svc.cluster.local, subset: v2}\n      weight: ", 100 - weight, "\n");
    case 1:
      return absl::StrCat(
          "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: ", name,
          ", namespace: bench}\nspec:\n  host: ", name,
          ".bench.svc.cluster.local\n  trafficPolicy:\n    loadBalancer: {simple: ROUND_ROBIN}\n"
          "    outlierDetection: {consecutive5xxErrors: 5, interval: 10s}\n  subsets:\n"
          "  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2}}\n");
    case 2:
      return absl::StrCat(
          "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ", name,
          ", namespace: bench}\nspec:\n  hosts: [", name,
          ".bench.svc.cluster.local]\n  location: MESH_INTERNAL\n  ports: [{number: 7070, name: "
          "grpc, protocol: GRPC}]\n  resolution: STATIC\n  workloadSelector: {labels: {app: ",
          name, "}}\n");
    default:
      return absl::StrCat(
          "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: ", name,
          "-v1, namespace: bench}\nspec:\n  address: 10.", (s / 250) % 250, ".", s % 250,
          ".1\n  ports: {grpc: 7070}\n  labels: {app: ", name, ", version: v1}\n");
  }
}

void WriteFiles(const std::string& dir, int resources, int changed_weight_for_first) {
  for (int file = 0; file * kPerFile < resources; ++file) {
    std::ofstream out(absl::StrCat(dir, "/file-", file, ".yaml"));
    for (int i = file * kPerFile; i < std::min(resources, (file + 1) * kPerFile); ++i) {
      out << "---\n" << Resource(i, i == 0 ? changed_weight_for_first : 80);
    }
  }
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

void Run() {
  const int resources = absl::GetFlag(FLAGS_resources);
  const int subscribers = absl::GetFlag(FLAGS_subscribers);
  const std::string dir = absl::StrCat(std::filesystem::temp_directory_path().string(),
                                       "/keel-galley-bench-", getpid());
  std::filesystem::create_directories(dir);
  WriteFiles(dir, resources, 80);

  // Each load below runs kRuns times; the fastest run is reported (the
  // first pays for page faults and cold caches, and this machine is shared).
  constexpr int kRuns = 3;
  auto best = [](auto&& run) {
    absl::Duration fastest = absl::InfiniteDuration();
    for (int i = 0; i < kRuns; ++i) {
      const absl::Time start = absl::Now();
      run();
      fastest = std::min(fastest, absl::Now() - start);
    }
    return fastest;
  };
  auto for_each_file = [&dir](auto&& use) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      use(entry.path().string(), text.str());
    }
  };

  // Beside it: yaml-cpp's loader alone, the reader files went through before
  // libs/mesh/yaml_tree.h (it alone capped Galley near 13k resources/s).
  const absl::Duration yaml_only = best([&] {
    for_each_file([](const std::string&, const std::string& text) {
      for (const YAML::Node& document : YAML::LoadAll(text)) (void)document.IsMap();
    });
  });

  // Baseline: parsing alone.
  size_t parsed_count = 0;
  const absl::Duration parse_only = best([&] {
    parsed_count = 0;
    for_each_file([&](const std::string& path, const std::string& text) {
      parsed_count += mesh::ParseConfigFile(path, text).resources.size();
    });
  });

  // Parse and validate, nothing published: what validation adds.
  size_t problems = 0;
  const absl::Duration parse_validate = best([&] {
    problems = 0;
    for_each_file([&](const std::string& path, const std::string& text) {
      for (const mesh::Resource& resource : mesh::ParseConfigFile(path, text).resources) {
        problems += mesh::ValidateResource(resource).size();
      }
    });
  });

  // Galley's own path, servers aside: the file source reads, validates and
  // hands the set to the store, whose watcher builds the MCP envelopes.
  absl::Duration publish = absl::InfiniteDuration();
  for (int i = 0; i < kRuns; ++i) {
    const absl::Time start = absl::Now();
    mesh::MemoryConfigStore store;
    McpSource mcp;
    auto watch =
        store.Watch([&mcp](std::shared_ptr<const mesh::ConfigSnapshot> snapshot,
                           const mesh::ConfigChange& change) { mcp.Update(*snapshot, &change); });
    FileSource files({.directories = {dir}}, &store);
    if (!files.Load().ok()) std::exit(1);
    publish = std::min(publish, absl::Now() - start);  // not counting the teardown
  }

  // Galley proper, its servers started too; then it serves.
  GalleyService galley({.config_dirs = {dir}, .debounce = absl::Milliseconds(20)});
  absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<ServiceHost>> host = ServiceHost::Start(
      galley, {.grpc_address = "127.0.0.1:0", .monitoring_address = "127.0.0.1:0"});
  if (!host.ok()) {
    std::fprintf(stderr, "galley: %s\n", std::string(host.status().message()).c_str());
    std::exit(1);
  }
  const absl::Duration load = absl::Now() - start;

  std::printf("resources: %d in %d files (best of %d runs for each load)\n", resources,
              (resources + kPerFile - 1) / kPerFile, kRuns);
  std::printf("yaml-cpp load alone (before):  %8.3f s  %10.0f resources/s\n", Seconds(yaml_only),
              resources / Seconds(yaml_only));
  std::printf("parse only (baseline):        %8.3f s  %10.0f resources/s\n", Seconds(parse_only),
              parsed_count / Seconds(parse_only));
  std::printf("parse+validate:                %8.3f s  %10.0f resources/s (%zu problems)\n",
              Seconds(parse_validate), resources / Seconds(parse_validate), problems);
  std::printf("parse+validate+publish:       %8.3f s  %10.0f resources/s\n", Seconds(publish),
              resources / Seconds(publish));
  std::printf("galley start (servers too):   %8.3f s  %10.0f resources/s\n", Seconds(load),
              resources / Seconds(load));

  for (bool delta : {true, false}) {
    std::vector<std::unique_ptr<xds::AdsClient>> clients;
    start = absl::Now();
    for (int i = 0; i < subscribers; ++i) {
      xds::AdsClientOptions options;
      options.server_address = absl::StrCat("127.0.0.1:", (*host)->grpc_port());
      options.node.set_id(absl::StrCat("bench-", i));
      options.delta = delta;
      options.sotw_resource_name = [](const google::protobuf::Any& any) {
        istio::mcp::v1alpha1::Resource envelope;
        any.UnpackTo(&envelope);
        return envelope.metadata().name();
      };
      auto client = std::make_unique<xds::AdsClient>(options, nullptr);
      for (const char* type : kTypes) client->Subscribe(type);
      client->Start();
      clients.push_back(std::move(client));
    }
    auto full = [&](const xds::AdsClient& c) {
      size_t n = 0;
      for (const char* type : kTypes) n += c.Resources(type).size();
      return n == static_cast<size_t>(resources);
    };
    for (auto& client : clients) client->WaitUntil(full, absl::Seconds(120));
    const absl::Duration sync = absl::Now() - start;
    std::printf("%-5s full sync, %2d subscribers: %8.3f s  (%.0f resources/s delivered)\n",
                delta ? "delta" : "sotw", subscribers, Seconds(sync),
                subscribers * resources / Seconds(sync));

    // One file changes: time until every subscriber has it.
    static int weight = 80;
    weight = weight == 80 ? 10 : 80;
    const std::string version_before = clients[0]->Version(kTypes[0]);
    start = absl::Now();
    WriteFiles(dir, std::min(resources, kPerFile), weight);
    for (auto& client : clients) {
      client->WaitUntil(
          [&](const xds::AdsClient& c) { return c.Version(kTypes[0]) != version_before; },
          absl::Seconds(60));
    }
    const absl::Duration propagate = absl::Now() - start;
    std::printf("%-5s one change to all %2d:      %8.3f s  (includes the 20 ms debounce)\n",
                delta ? "delta" : "sotw", subscribers, Seconds(propagate));
    for (auto& client : clients) client->Stop();
  }
  (*host)->Shutdown();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace keel::galley

int main(int argc, char** argv) {
  keel::InitBinaryOrExit(argc, argv, "galley_benchmark", "Galley load and MCP sync benchmark.");
  keel::galley::Run();
  return 0;
}
