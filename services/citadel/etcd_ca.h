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
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "libs/etcd/client.h"
#include "libs/etcd/election.h"
#include "libs/mtls/signer.h"

namespace keel::citadel {

inline constexpr char kCaBundleKey[] = "/keel/v1/ca/root";
inline constexpr char kRotationKey[] = "/keel/v1/ca/rotation";  // a keel.ca.RootRotation
inline constexpr char kLeaderKey[] = "/keel/v1/ca/leader";

class EtcdCaSync {
 public:
  // Join makes `ca_dir` hold the cluster's CA (see above); `make_local_ca`
  // creates a CA in `ca_dir` when etcd has none yet.
  static absl::StatusOr<std::unique_ptr<EtcdCaSync>> Join(
      std::shared_ptr<etcd::EtcdClient> client, std::string ca_dir,
      const std::function<absl::Status()>& make_local_ca);
  ~EtcdCaSync();

  const std::shared_ptr<etcd::EtcdClient>& client() const { return client_; }

 private:
  EtcdCaSync(std::shared_ptr<etcd::EtcdClient> client, std::string ca_dir)
      : client_(std::move(client)), ca_dir_(std::move(ca_dir)) {}
  std::shared_ptr<etcd::EtcdClient> client_;
  std::string ca_dir_;
  std::unique_ptr<etcd::EtcdClient::Watch> watch_;
};

// RootRotator carries out the root rotations asked for in etcd (see
// keel.ca.RootRotation), on whichever replica leads: each replica runs one;
// they elect a leader with a lease on kLeaderKey.
class RootRotator {
 public:
  // Makes the CA of the files in a folder (a scratch copy of the bundle).
  using SignerFactory =
      std::function<absl::StatusOr<std::unique_ptr<mtls::CertificateSigner>>(const std::string&)>;
  // Steps are made in scratch folders under `scratch_parent`.
  static std::unique_ptr<RootRotator> Start(std::shared_ptr<etcd::EtcdClient> client,
                                            std::string candidate, absl::Duration lease_ttl,
                                            std::string scratch_parent, SignerFactory make_signer);
  ~RootRotator();

 private:
  RootRotator(std::shared_ptr<etcd::EtcdClient> client, std::string candidate,
              std::string scratch_parent, SignerFactory make_signer)
      : client_(std::move(client)),
        candidate_(std::move(candidate)),
        scratch_parent_(std::move(scratch_parent)),
        make_signer_(std::move(make_signer)) {}
  void Run();
  // Takes the rotation one step further if it is due; `fence` is the
  // leader key's revision.
  absl::Status Step(int64_t fence);

  const std::shared_ptr<etcd::EtcdClient> client_;
  const std::string candidate_;
  const std::string scratch_parent_;
  const SignerFactory make_signer_;
  std::unique_ptr<etcd::LeaderElection> election_;
  absl::Notification stopping_;
  std::thread thread_;
};

// RequestRootRotation asks the leading replica for a rotation whose old
// roots are retired `overlap` after the new one begins; AlreadyExists while
// one is under way.
absl::Status RequestRootRotation(etcd::EtcdClient& client, absl::Duration overlap);
// RequestRetireNow ends the overlap of the rotation under way (the leader
// retires the old roots at once); FailedPrecondition when none is.
absl::Status RequestRetireNow(etcd::EtcdClient& client);

// ReadBundleInto writes etcd's bundle into `dir`; returns its revision
// (NotFound when etcd has none).
absl::StatusOr<int64_t> ReadBundleInto(etcd::EtcdClient& client, const std::string& dir);
// PublishBundleFrom offers `dir`'s CA files as the bundle replacing the one
// at `expected_revision` (0: none); ABORTED when another change came first.
absl::StatusOr<int64_t> PublishBundleFrom(etcd::EtcdClient& client, const std::string& dir,
                                          int64_t expected_revision);

}  // namespace keel::citadel

#endif  // KEEL_SERVICES_CITADEL_ETCD_CA_H_
