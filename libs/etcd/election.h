// LeaderElection: one of several replicas leads, through a key held with a
// lease (etcd's election pattern). The candidate that creates the key
// leads while it keeps the lease alive; when it dies the lease expires, the
// key goes, and another candidate creates it. The key's revision is the
// leader's fence: a write made in a transaction that also requires the key
// at that revision cannot land once another replica leads.
//
//   auto election = LeaderElection::Start(client, {.key = "/keel/v1/ca/leader",
//                                                  .candidate = "citadel-a"});
//   if (std::optional<int64_t> fence = election->fence()) { ... guarded writes ... }
#ifndef KEEL_LIBS_ETCD_ELECTION_H_
#define KEEL_LIBS_ETCD_ELECTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/etcd/client.h"

namespace keel::etcd {

class LeaderElection {
 public:
  struct Options {
    std::string key;        // held by the leader
    std::string candidate;  // this replica's name, the key's value while it leads
    // How long a dead leader keeps the key (etcd's lease TTL, whole seconds).
    absl::Duration ttl = absl::Seconds(5);
  };
  static std::unique_ptr<LeaderElection> Start(std::shared_ptr<EtcdClient> client, Options options);
  // Resigns (deletes the key, so another candidate leads at once) and stops.
  ~LeaderElection();

  // fence is the leader key's revision while this replica leads.
  std::optional<int64_t> fence() const;
  // WaitUntilLeading blocks until this replica leads or `timeout` passes.
  bool WaitUntilLeading(absl::Duration timeout) const;

 private:
  LeaderElection(std::shared_ptr<EtcdClient> client, Options options)
      : client_(std::move(client)), options_(std::move(options)) {}
  void Run();
  // Waits `duration` unless stopping; returns false when stopping.
  bool Pause(absl::Duration duration);

  const std::shared_ptr<EtcdClient> client_;
  const Options options_;
  mutable absl::Mutex mu_;
  std::optional<int64_t> fence_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace keel::etcd

#endif  // KEEL_LIBS_ETCD_ELECTION_H_
