// EtcdCluster runs a real etcd cluster (Debian's etcd 3.4) for a test: N
// members on loopback ports of their own, data in the test's folder, never
// the system etcd on 2379.
//
//   absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd = EtcdCluster::Start(3);
//   ... (*etcd)->endpoints() ... (*etcd)->Kill(0) ...
#ifndef KEEL_INTEGRATION_HARNESS_ETCD_CLUSTER_H_
#define KEEL_INTEGRATION_HARNESS_ETCD_CLUSTER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "integration/harness/process.h"

namespace keel::testing {

class EtcdCluster {
 public:
  // Start launches `members` and returns once the cluster answers reads.
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> Start(int members);

  // host:port of each member's client URL, in member order.
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  // "--etcd_endpoints=a,b,c" for Keel's binaries.
  std::string EndpointsFlag() const;

  // Kill ends member `index` with SIGKILL (a crash, not a shutdown).
  void Kill(int index);
  // Restart starts a killed member again on its data (it rejoins).
  absl::Status Restart(int index);
  // The index of the member that is the cluster's leader, if one answers.
  std::optional<int> Leader() const;

 private:
  EtcdCluster() = default;
  std::vector<std::string> endpoints_;
  std::vector<std::vector<std::string>> args_;  // each member's flags
  std::vector<std::string> logs_;
  std::vector<std::optional<ChildProcess>> members_;
};

}  // namespace keel::testing

#endif  // KEEL_INTEGRATION_HARNESS_ETCD_CLUSTER_H_
