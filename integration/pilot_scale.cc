// Pilot at mesh scale, beside a baseline measured in the same run.
//
//   bazel run -c opt //integration:pilot_scale -- --streams=2000 --services=1000 --endpoints=10
//
// The real galley and pilot binaries on loopback hold S services (each a
// ServiceEntry, a DestinationRule, a VirtualService and E WorkloadEntries,
// as Istio YAML). N ADS streams act as proxyless gRPC clients: each asks, as
// gRPC does, for one service's listener, route, clusters and endpoints plus
// a shared frontend's. Printed:
//   - full sync: every stream holds its config; beside the same clients
//     fetching the same bytes from a server that only replays them (an
//     in-process ADS server over a fixed copy of what Pilot served);
//   - one VirtualService change (the frontend's, so every stream needs it):
//     file written -> every stream applied and ACKed it, and first stream
//     -> last stream; beside the same change pushed by the replaying server
//     to the same clients;
//   - one WorkloadEntry change: the resources each stream received, by type
//     (EDS only, and only for the streams that asked for that cluster);
//   - Pilot's CPU seconds per push and its peak RSS;
//   - while the full sync and the change fan out: how long Pilot takes to
//     answer /healthz, and a fresh stream to connect and get its config.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "grpcpp/grpcpp.h"
#include "integration/harness/etcd_cluster.h"
#include "integration/harness/mesh.h"
#include "libs/common/binary.h"
#include "libs/common/http_client.h"
#include "libs/common/metrics.h"
#include "libs/xds/ads_client.h"
#include "libs/xds/ads_server.h"
#include "libs/xds/type_urls.h"

ABSL_FLAG(int, streams, 2000, "ADS streams (simulated proxyless clients).");
ABSL_FLAG(int, services, 1000, "Services (ServiceEntry + DestinationRule + VirtualService each).");
ABSL_FLAG(int, endpoints, 10, "WorkloadEntries per service.");
ABSL_FLAG(bool, delta, false, "Use delta xDS (default: state of the world, as gRPC 1.51 does).");
ABSL_FLAG(int, pilots, 1, "Pilot replicas; stream i goes to replica i mod N.");
ABSL_FLAG(bool, etcd, false, "Galley keeps config in a 3-member etcd cluster started here.");

namespace keel::testing {
namespace {

using xds::kClusterType;
using xds::kEndpointType;
using xds::kListenerType;
using xds::kRouteType;

constexpr const char* kTypes[] = {kListenerType, kRouteType, kClusterType, kEndpointType};

std::string Host(int s) { return absl::StrCat("svc-", s, ".load.svc.cluster.local"); }

std::string VirtualService(int s, int weight) {
  return absl::StrCat(
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: svc-", s,
      ", namespace: load}\nspec:\n  hosts: [", Host(s),
      "]\n  http:\n  - route:\n    - destination: {host: ", Host(s),
      ", subset: v1}\n      weight: ", weight, "\n    - destination: {host: ", Host(s),
      ", subset: v2}\n      weight: ", 100 - weight, "\n");
}

std::string WorkloadEntry(int s, int e, int last_octet) {
  return absl::StrCat(
      "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: svc-", s, "-", e,
      ", namespace: load}\nspec:\n  address: 10.", s / 250, ".", s % 250, ".", last_octet,
      "\n  ports: {grpc: 7070}\n  labels: {app: svc-", s, ", version: v", (e % 2) + 1, "}\n");
}

void WriteAtomically(const std::string& path, const std::string& content) {
  std::ofstream(path + ".tmp") << content;
  std::filesystem::rename(path + ".tmp", path);
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
    for (int e = 0; e < endpoints; ++e) out << WorkloadEntry(s, e, e + 1) << "---\n";
  }
  std::ofstream(dir + "/frontend.yaml") << VirtualService(0, 80);
}

// The name an xDS resource goes by (state-of-the-world responses carry bare
// Anys).
std::string ResourceName(const google::protobuf::Any& any) {
  if (any.type_url() == kListenerType) {
    envoy::config::listener::v3::Listener listener;
    any.UnpackTo(&listener);
    return listener.name();
  }
  if (any.type_url() == kRouteType) {
    envoy::config::route::v3::RouteConfiguration route;
    any.UnpackTo(&route);
    return route.name();
  }
  if (any.type_url() == kClusterType) {
    envoy::config::cluster::v3::Cluster cluster;
    any.UnpackTo(&cluster);
    return cluster.name();
  }
  envoy::config::endpoint::v3::ClusterLoadAssignment assignment;
  any.UnpackTo(&assignment);
  return assignment.cluster_name();
}

int TypeIndex(const std::string& type_url) {
  for (int i = 0; i < 4; ++i) {
    if (type_url == kTypes[i]) return i;
  }
  return -1;
}

// What one simulated client saw.
struct ClientRecord {
  std::atomic<int> received[4] = {0, 0, 0, 0};  // resources received, by type
  std::atomic<int64_t> first_new_route_ns{0};   // when it first applied the changed route
};

std::atomic<bool> watching_routes{false};

// The subscriptions of client `i`: its own service and the frontend (svc-0).
int ServiceOfClient(int i, int services) { return 1 + i % std::max(1, services - 1); }

std::unique_ptr<xds::AdsClient> NewClient(const std::string& address, int i, int services,
                                          ClientRecord* record) {
  xds::AdsClientOptions options;
  options.server_address = address;
  options.node.set_id(absl::StrCat("load-", i));
  options.delta = absl::GetFlag(FLAGS_delta);
  options.sotw_resource_name = ResourceName;
  auto client =
      std::make_unique<xds::AdsClient>(options, [record](const xds::ResourceUpdate& update) {
        const int type = TypeIndex(update.type_url);
        if (record != nullptr && type >= 0) {
          record->received[type] += static_cast<int>(update.updated.size() + update.removed.size());
          if (type == 1 && watching_routes) {
            int64_t expected = 0;
            record->first_new_route_ns.compare_exchange_strong(expected,
                                                               absl::ToUnixNanos(absl::Now()));
          }
        }
        return absl::OkStatus();
      });
  const int s = ServiceOfClient(i, services);
  std::set<std::string> names, clusters;
  for (int svc : {0, s}) {
    names.insert(absl::StrCat(Host(svc), ":7070"));
    for (const char* subset : {"", "v1", "v2"}) {
      clusters.insert(absl::StrCat("outbound|7070|", subset, "|", Host(svc)));
    }
  }
  client->Subscribe(kListenerType, names);
  client->Subscribe(kRouteType, names);
  client->Subscribe(kClusterType, clusters);
  client->Subscribe(kEndpointType, clusters);
  client->Start();
  return client;
}

// Connects `count` clients to `address` and returns how long until every
// one holds its full config.
// Stream i connects to addresses[i mod N] (Pilot replicas share the load).
absl::Duration ConnectAll(const std::vector<std::string>& addresses, int count, int services,
                          std::vector<std::unique_ptr<xds::AdsClient>>& clients,
                          std::vector<std::unique_ptr<ClientRecord>>* records) {
  const absl::Time start = absl::Now();
  for (int i = 0; i < count; ++i) {
    ClientRecord* record = nullptr;
    if (records != nullptr) {
      records->push_back(std::make_unique<ClientRecord>());
      record = records->back().get();
    }
    clients.push_back(NewClient(addresses[static_cast<size_t>(i) % addresses.size()], i, services, record));
  }
  for (auto& client : clients) {
    client->WaitUntil([](const xds::AdsClient& c) { return c.Synced(); }, absl::Minutes(5));
  }
  return absl::Now() - start;
}

// Probes Pilot while it works: /healthz in a loop, and every tenth probe a
// fresh stream that connects and waits for its config. Records the slowest
// answer of each.
class Prober {
 public:
  Prober(std::string monitoring_address, std::string grpc_address, int services)
      : monitoring_address_(std::move(monitoring_address)),
        grpc_address_(std::move(grpc_address)),
        services_(services),
        thread_([this] { Loop(); }) {}
  ~Prober() { Stop(); }

  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  std::string Summary() const {
    return absl::StrFormat(
        "/healthz %d probes, slowest %.1f ms (%d failed); fresh streams %d, slowest connect -> "
        "config %.1f ms",
        healthz_probes_, absl::ToDoubleMilliseconds(slowest_healthz_), healthz_failures_,
        connects_, absl::ToDoubleMilliseconds(slowest_connect_));
  }

 private:
  void Loop() {
    while (!stop_.load()) {
      absl::Time start = absl::Now();
      absl::StatusOr<HttpResponse> health = HttpGet(monitoring_address_, "/healthz");
      slowest_healthz_ = std::max(slowest_healthz_, absl::Now() - start);
      ++healthz_probes_;
      healthz_failures_ += !health.ok() || health->status != 200;
      if (healthz_probes_ % 10 != 1) continue;
      start = absl::Now();
      std::unique_ptr<xds::AdsClient> client =
          NewClient(grpc_address_, 100000 + connects_, services_, nullptr);
      client->WaitUntil([](const xds::AdsClient& c) { return c.Synced(); }, absl::Minutes(1));
      slowest_connect_ = std::max(slowest_connect_, absl::Now() - start);
      ++connects_;
      client->Stop();
    }
  }

  const std::string monitoring_address_;
  const std::string grpc_address_;
  const int services_;
  std::atomic<bool> stop_{false};
  int healthz_probes_ = 0;
  int healthz_failures_ = 0;
  int connects_ = 0;
  absl::Duration slowest_healthz_;
  absl::Duration slowest_connect_;
  std::thread thread_;  // last: starts once the rest is set up
};

// Serves a fixed copy of resources: the baseline that does no work but
// sending bytes.
class ReplaySource : public xds::ResourceSource {
 public:
  using Types = std::map<std::string, std::shared_ptr<const xds::TypeResources>>;
  explicit ReplaySource(Types types) : types_(std::move(types)) {}
  // Set replaces the bytes served (the baseline of a change: new bytes,
  // ready made).
  void Set(Types types) {
    absl::MutexLock lock(&mu_);
    types_ = std::move(types);
  }
  std::shared_ptr<const xds::TypeResources> Resources(
      const std::string& type_url, const envoy::config::core::v3::Node&) override {
    absl::MutexLock lock(&mu_);
    auto it = types_.find(type_url);
    return it == types_.end() ? nullptr : it->second;
  }
  bool Serves(const std::string& type_url) const override {
    absl::MutexLock lock(&mu_);
    return types_.count(type_url) > 0;
  }
  bool Ready() const override { return true; }

 private:
  mutable absl::Mutex mu_;
  Types types_ ABSL_GUARDED_BY(mu_);
};

// `version` labels the copy (each type's version: what a delta client sees
// change).
// The baseline server: a ReplaySource behind an ADS server on loopback.
struct ReplayServer {
  explicit ReplayServer(ReplaySource::Types types) : source(std::move(types)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&ads);
    grpc_server = builder.BuildAndStart();
  }
  ~ReplayServer() { grpc_server->Shutdown(std::chrono::system_clock::now()); }
  std::string address() const { return absl::StrCat("127.0.0.1:", port); }

  ReplaySource source;
  xds::AdsServer ads{&source, nullptr};
  int port = 0;
  std::unique_ptr<grpc::Server> grpc_server;
};

std::map<std::string, std::shared_ptr<const xds::TypeResources>> CopyOfWhatClientsHold(
    const std::vector<std::unique_ptr<xds::AdsClient>>& clients,
    const std::string& version = "replay") {
  std::map<std::string, std::shared_ptr<const xds::TypeResources>> out;
  for (const char* type_url : kTypes) {
    auto type = std::make_shared<xds::TypeResources>();
    type->version = version;
    for (const auto& client : clients) {
      for (const auto& [name, resource] : client->Resources(type_url)) {
        type->resources.emplace(name, resource);
      }
    }
    out[type_url] = std::move(type);
  }
  return out;
}

int Run() {
  const int streams = absl::GetFlag(FLAGS_streams);
  const int services = absl::GetFlag(FLAGS_services);
  const int endpoints = absl::GetFlag(FLAGS_endpoints);
  struct rlimit limit = {65536, 65536};
  setrlimit(RLIMIT_NOFILE, &limit);
  const std::string dir =
      absl::StrCat(std::filesystem::temp_directory_path().string(), "/keel-pilot-scale-", getpid());
  std::filesystem::create_directories(dir);
  WriteConfig(dir, services, endpoints);

  Mesh mesh;
  std::unique_ptr<EtcdCluster> etcd;
  std::vector<std::string> galley_args = {"--config_dir=" + dir, "--log_level=warn"};
  if (absl::GetFlag(FLAGS_etcd)) {
    absl::StatusOr<std::unique_ptr<EtcdCluster>> started = EtcdCluster::Start(3);
    if (!started.ok()) {
      std::fprintf(stderr, "etcd did not start: %s\n", std::string(started.status().message()).c_str());
      return 1;
    }
    etcd = *std::move(started);
    galley_args.push_back(etcd->EndpointsFlag());
  }
  absl::StatusOr<RunningService*> galley = mesh.Start("galley", galley_args);
  if (!galley.ok() || !(*galley)->WaitReady(absl::Seconds(120)).ok()) {
    std::fprintf(stderr, "galley did not start\n");
    return 1;
  }
  std::vector<std::string> pilot_addresses;
  absl::StatusOr<RunningService*> pilot;
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_pilots)); ++i) {
    absl::StatusOr<RunningService*> replica =
        mesh.Start("pilot", {"--galley_address=" + (*galley)->grpc_address()});
    if (!replica.ok() || !(*replica)->WaitReady(absl::Seconds(120)).ok()) {
      std::fprintf(stderr, "pilot did not start\n");
      return 1;
    }
    if (i == 0) pilot = replica;
    pilot_addresses.push_back((*replica)->grpc_address());
  }
  const pid_t pilot_pid = (*pilot)->process().pid();
  const ProcessUsage loaded = ReadProcessUsage(pilot_pid);
  std::printf("pilot_scale: %d services x %d endpoints, %d streams (%s) over %zu Pilot replica(s)%s; "
              "first pilot pid %d\n",
              services, endpoints, streams, absl::GetFlag(FLAGS_delta) ? "delta" : "state of the world",
              pilot_addresses.size(), etcd != nullptr ? ", config in etcd" : "", pilot_pid);
  std::printf("pilot after loading the config: rss %.0f MB, cpu %.2f s\n", loaded.peak_rss_mb,
              loaded.cpu_seconds);

  // Full sync, then the same clients against the replay of the same bytes.
  std::vector<std::unique_ptr<xds::AdsClient>> clients;
  std::vector<std::unique_ptr<ClientRecord>> records;
  auto prober = std::make_unique<Prober>((*pilot)->monitoring_address(),
                                         (*pilot)->grpc_address(), services);
  const absl::Duration full_sync =
      ConnectAll(pilot_addresses, streams, services, clients, &records);
  prober->Stop();
  const ProcessUsage synced = ReadProcessUsage(pilot_pid);
  // What the clients hold before any change: the replay baselines serve it.
  const ReplaySource::Types held_before = CopyOfWhatClientsHold(clients);
  {
    ReplayServer replay(held_before);
    std::vector<std::unique_ptr<xds::AdsClient>> replay_clients;
    const absl::Duration replayed =
        ConnectAll({replay.address()}, streams, services, replay_clients, nullptr);
    for (auto& client : replay_clients) client->Stop();
    std::printf(
        "full sync, all %d streams hold their config: %.3f s; replaying the same bytes: %.3f s "
        "(ratio %.2f); pilot cpu %.2f s\n",
        streams, absl::ToDoubleSeconds(full_sync), absl::ToDoubleSeconds(replayed),
        absl::ToDoubleSeconds(full_sync) / absl::ToDoubleSeconds(replayed),
        synced.cpu_seconds - loaded.cpu_seconds);
    std::printf("  meanwhile: %s\n", prober->Summary().c_str());
    // What the streams cost once they hold their config: resident memory
    // over the config loaded with no stream, per stream.
    std::printf(
        "pilot rss with no stream: %.1f MB; with all %d streams synced: %.1f MB (%.1f KB a "
        "stream)\n",
        loaded.rss_mb, streams, synced.rss_mb,
        (synced.rss_mb - loaded.rss_mb) * 1024.0 / std::max(streams, 1));
    std::fflush(stdout);
  }

  // One VirtualService change that every stream needs, made by `change`
  // (`how` says how, in the report).
  // Versions are per stream (a state-of-the-world stream's covers its own
  // names): each client waits for its own to change.
  auto measure_route_change = [&](const std::string& how,
                                  const std::function<void()>& change) -> absl::Duration {
    std::vector<std::string> before;
    for (auto& client : clients) before.push_back(client->Version(kRouteType));
    for (auto& record : records) record->first_new_route_ns = 0;
    watching_routes = true;
    const ProcessUsage before_vs = ReadProcessUsage(pilot_pid);
    prober = std::make_unique<Prober>((*pilot)->monitoring_address(), (*pilot)->grpc_address(),
                                      services);
    const absl::Time changed = absl::Now();
    change();
    for (size_t i = 0; i < clients.size(); ++i) {
      clients[i]->WaitUntil(
          [&](const xds::AdsClient& c) { return c.Version(kRouteType) != before[i]; },
          absl::Minutes(5));
    }
    const absl::Duration propagated = absl::Now() - changed;
    prober->Stop();
    watching_routes = false;
    int64_t first = INT64_MAX, last = 0;
    for (auto& record : records) {
      first = std::min<int64_t>(first, record->first_new_route_ns);
      last = std::max<int64_t>(last, record->first_new_route_ns);
    }
    const ProcessUsage after_vs = ReadProcessUsage(pilot_pid);
    std::printf(
        "one VirtualService change, %s -> all %d streams applied and ACKed: %.3f s "
        "(a lone change: neither Galley nor Pilot debounces it); first stream -> last: %.0f ms; "
        "pilot cpu %.2f s\n",
        how.c_str(), streams, absl::ToDoubleSeconds(propagated), (last - first) / 1e6,
        after_vs.cpu_seconds - before_vs.cpu_seconds);
    std::printf("  meanwhile: %s\n", prober->Summary().c_str());
    return propagated;
  };
  const absl::Duration file_change = measure_route_change(
      "file written", [&] { WriteAtomically(dir + "/frontend.yaml", VirtualService(0, 10)); });
  {
    // The baseline for the change: the same clients, synced to a server
    // that replays the bytes they held, are pushed the bytes they hold now
    // (ready made: no config read, no generation).
    ReplayServer replay(held_before);
    std::vector<std::unique_ptr<xds::AdsClient>> replay_clients;
    ConnectAll({replay.address()}, streams, services, replay_clients, nullptr);
    ReplaySource::Types held_after = CopyOfWhatClientsHold(clients, "replay-changed");
    std::vector<std::string> before;
    for (auto& client : replay_clients) before.push_back(client->Version(kRouteType));
    const absl::Time changed = absl::Now();
    replay.source.Set(std::move(held_after));
    replay.ads.Push({kRouteType});
    const absl::Time deadline = changed + absl::Minutes(2);
    for (size_t i = 0; i < replay_clients.size(); ++i) {
      replay_clients[i]->WaitUntil(
          [&](const xds::AdsClient& c) { return c.Version(kRouteType) != before[i]; },
          std::max(deadline - absl::Now(), absl::ZeroDuration()));
    }
    const absl::Duration replayed = absl::Now() - changed;
    for (auto& client : replay_clients) client->Stop();
    std::printf("  the same change pushed by a server replaying ready bytes: %.3f s (ratio %.2f)\n",
                absl::ToDoubleSeconds(replayed),
                absl::ToDoubleSeconds(file_change) / absl::ToDoubleSeconds(replayed));
    std::fflush(stdout);
  }
  if (etcd != nullptr) {
    // The same through Galley's config API, as an operator does it: the
    // keelctl process, Galley's validation and etcd's write included.
    const std::string applied = dir + "-apply.yaml";
    WriteAtomically(applied, VirtualService(0, 20));
    measure_route_change("keelctl apply", [&] {
      absl::StatusOr<CommandResult> result = RunToCompletion(
          KeelBinaryPath("keelctl"),
          {"apply", "-f", applied, "--galley=" + (*galley)->grpc_address()});
      if (!result.ok() || result->exit.status != 0) {
        std::fprintf(stderr, "keelctl apply failed: %s\n",
                     result.ok() ? result->err.c_str() : std::string(result.status().message()).c_str());
      }
    });
  }

  // One WorkloadEntry change: only EDS, only for svc-1's subscribers.
  for (auto& record : records) {
    for (auto& count : record->received) count = 0;
  }
  const std::string eds_before = clients[0]->Version(kEndpointType);
  int subscribers = 0;
  for (int i = 0; i < streams; ++i) subscribers += ServiceOfClient(i, services) == 1;
  const ProcessUsage before_we = ReadProcessUsage(pilot_pid);
  const absl::Time we_changed = absl::Now();
  {
    std::stringstream svc1;
    svc1 << std::ifstream(dir + "/svc-1.yaml").rdbuf();
    std::string text = svc1.str();
    const std::string from = absl::StrCat("address: 10.0.1.1\n");
    text.replace(text.find(from), from.size(), "address: 10.0.1.200\n");
    WriteAtomically(dir + "/svc-1.yaml", text);
  }
  clients[0]->WaitUntil(
      [&](const xds::AdsClient& c) { return c.Version(kEndpointType) != eds_before; },
      absl::Minutes(1));
  const absl::Duration we_seen = absl::Now() - we_changed;
  // Let any stragglers (streams that should get nothing) show up.
  absl::SleepFor(absl::Seconds(1));
  const ProcessUsage after_we = ReadProcessUsage(pilot_pid);
  int streams_with[4] = {0, 0, 0, 0};
  int resources_of[4] = {0, 0, 0, 0};
  for (auto& record : records) {
    for (int t = 0; t < 4; ++t) {
      streams_with[t] += record->received[t] > 0;
      resources_of[t] += record->received[t];
    }
  }
  std::printf(
      "one WorkloadEntry change (svc-1, %d subscribing streams), seen after %.3f s: streams that "
      "received LDS %d, RDS %d, CDS %d, EDS %d (resources: %d, %d, %d, %d); pilot cpu %.2f s\n",
      subscribers, absl::ToDoubleSeconds(we_seen), streams_with[0], streams_with[1],
      streams_with[2], streams_with[3], resources_of[0], resources_of[1], resources_of[2],
      resources_of[3], after_we.cpu_seconds - before_we.cpu_seconds);

  const ProcessUsage usage = ReadProcessUsage(pilot_pid);
  std::printf("pilot peak rss: %.0f MB, cpu %.2f s in all\n", usage.peak_rss_mb, usage.cpu_seconds);
  for (const std::string& line :
       std::vector<std::string>(absl::StrSplit((*pilot)->process().Log(), '\n'))) {
    if (absl::StrContains(line, "] push ") || absl::StrContains(line, " push ")) {
      std::printf("  pilot log: %s\n", line.substr(line.find("push")).c_str());
    }
  }
  for (auto& client : clients) client->Stop();
  mesh.StopAll();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace keel::testing

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // lines appear as they are measured
  keel::InitBinaryOrExit(argc, argv, "pilot_scale",
                         "Pilot at mesh scale, beside a replay baseline.");
  return keel::testing::Run();
}
