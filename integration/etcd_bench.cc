// How fast config reaches etcd, beside etcd's own write rate.
//
//   bazel run -c opt //integration:etcd_bench [-- --resources=2000]
//
// A real 3-member etcd cluster on loopback. Printed:
//   - plain Puts of the same values, one at a time (etcd's bound for
//     sequential writes from one client);
//   - EtcdConfigStore::Replace of N VirtualServices (compare-and-swap per
//     resource, batched 64 per transaction, as Galley writes its folders), and the time until the
//     store's own watch has all of them (what Galley then serves).
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "integration/harness/etcd_cluster.h"
#include "libs/common/binary.h"
#include "libs/etcd/client.h"
#include "libs/mesh/etcd_config_store.h"
#include "libs/mesh/mcp.h"

ABSL_FLAG(int, resources, 2000, "VirtualServices to write.");

namespace keel::testing {
namespace {

std::vector<std::shared_ptr<const mesh::Resource>> VirtualServices(int n) {
  std::string yaml;
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&yaml, "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\n",
                    "metadata: {name: svc-", i, ", namespace: default}\nspec:\n  hosts: [svc-", i,
                    "]\n  http:\n  - route:\n    - destination: {host: svc-", i,
                    ", subset: v1}\n      weight: 80\n    - destination: {host: svc-", i,
                    ", subset: v2}\n      weight: 20\n---\n");
  }
  mesh::ParsedFile parsed = mesh::ParseConfigFile("bench.yaml", yaml);
  std::vector<std::shared_ptr<const mesh::Resource>> out;
  for (mesh::Resource& r : parsed.resources) out.push_back(std::make_shared<const mesh::Resource>(std::move(r)));
  return out;
}

int Run() {
  const int n = absl::GetFlag(FLAGS_resources);
  absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd = EtcdCluster::Start(3);
  if (!etcd.ok()) {
    std::fprintf(stderr, "%s\n", std::string(etcd.status().message()).c_str());
    return 1;
  }
  std::vector<std::shared_ptr<const mesh::Resource>> resources = VirtualServices(n);
  absl::StatusOr<std::unique_ptr<etcd::EtcdClient>> client =
      etcd::EtcdClient::Connect({.endpoints = (*etcd)->endpoints()});
  if (!client.ok()) return 1;
  std::shared_ptr<etcd::EtcdClient> shared(*std::move(client));

  absl::Time start = absl::Now();
  for (const auto& resource : resources) {
    if (!shared->Put("/bench/plain/" + resource->name, mesh::EncodeMcp(*resource).SerializeAsString()).ok()) {
      return 1;
    }
  }
  const double plain = absl::ToDoubleSeconds(absl::Now() - start);

  absl::StatusOr<std::unique_ptr<mesh::EtcdConfigStore>> store = mesh::EtcdConfigStore::Open(shared);
  if (!store.ok()) return 1;
  absl::Notification all_seen;
  auto watch = (*store)->Watch([&](std::shared_ptr<const mesh::ConfigSnapshot> snapshot,
                                   const mesh::ConfigChange&) {
    if (snapshot->size() >= static_cast<size_t>(n) && !all_seen.HasBeenNotified()) all_seen.Notify();
  });
  start = absl::Now();
  mesh::ConfigChange change = (*store)->Replace(resources);
  const double written = absl::ToDoubleSeconds(absl::Now() - start);
  const bool seen = all_seen.WaitForNotificationWithTimeout(absl::Seconds(60));
  const double served = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf("etcd: 3 members on loopback, 2 cores shared with the client\n");
  std::printf("plain Put, one at a time: %d in %.2f s = %.0f writes/s\n", n, plain, n / plain);
  std::printf("EtcdConfigStore::Replace (guarded puts, 64 per transaction): %d in %.2f s = %.0f resources/s (%.2f of plain)\n",
              n, written, n / written, plain / written);
  std::printf("all %d in the store's snapshot (what Galley serves) after %.2f s%s; %lld failed writes\n",
              n, served, seen ? "" : " (NOT all seen)",
              static_cast<long long>((*store)->failed_writes()));
  (void)change;
  return seen ? 0 : 1;
}

}  // namespace
}  // namespace keel::testing

int main(int argc, char** argv) {
  keel::InitBinaryOrExit(argc, argv, "etcd_bench", "Config write rate to etcd.");
  return keel::testing::Run();
}
