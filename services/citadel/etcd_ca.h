// Citadel replicas on etcd share one CA. The self-signed CA's files (its
// key, root, trusted roots) and the bootstrap-token key live as one bundle
// at one etcd key; each replica keeps a copy in its --ca_dir, which its CA
// reads and reloads as before.
//
//   Join: etcd has a bundle → the replica takes it. It has none → the
//   replica makes a CA and offers it (compare-and-swap on "no key"); the
//   loser of a race takes the winner's. Then every change (a root rotation,
//   made by `citadel rotate-root` against etcd) reaches every replica's
//   folder, and its file watch reloads the CA.
#ifndef KEEL_SERVICES_CITADEL_ETCD_CA_H_
#define KEEL_SERVICES_CITADEL_ETCD_CA_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/etcd/client.h"

namespace keel::citadel {

inline constexpr char kCaBundleKey[] = "/keel/v1/ca/root";

class EtcdCaSync {
 public:
  // Join makes `ca_dir` hold the cluster's CA (see above); `make_local_ca`
  // creates a CA in `ca_dir` when etcd has none yet.
  static absl::StatusOr<std::unique_ptr<EtcdCaSync>> Join(
      std::shared_ptr<etcd::EtcdClient> client, std::string ca_dir,
      const std::function<absl::Status()>& make_local_ca);
  ~EtcdCaSync();

 private:
  EtcdCaSync(std::shared_ptr<etcd::EtcdClient> client, std::string ca_dir)
      : client_(std::move(client)), ca_dir_(std::move(ca_dir)) {}
  std::shared_ptr<etcd::EtcdClient> client_;
  std::string ca_dir_;
  std::unique_ptr<etcd::EtcdClient::Watch> watch_;
};

// ReadBundleInto writes etcd's bundle into `dir`; returns its revision
// (NotFound when etcd has none).
absl::StatusOr<int64_t> ReadBundleInto(etcd::EtcdClient& client, const std::string& dir);
// PublishBundleFrom offers `dir`'s CA files as the bundle replacing the one
// at `expected_revision` (0: none); ABORTED when another change came first.
absl::StatusOr<int64_t> PublishBundleFrom(etcd::EtcdClient& client, const std::string& dir,
                                          int64_t expected_revision);

}  // namespace keel::citadel

#endif  // KEEL_SERVICES_CITADEL_ETCD_CA_H_
