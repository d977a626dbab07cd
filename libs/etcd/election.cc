#include "libs/etcd/election.h"

#include <utility>

#include "spdlog/spdlog.h"

namespace keel::etcd {

std::unique_ptr<LeaderElection> LeaderElection::Start(std::shared_ptr<EtcdClient> client,
                                                      Options options) {
  std::unique_ptr<LeaderElection> election(new LeaderElection(std::move(client), std::move(options)));
  election->thread_ = std::thread([raw = election.get()] { raw->Run(); });
  return election;
}

LeaderElection::~LeaderElection() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

std::optional<int64_t> LeaderElection::fence() const {
  absl::MutexLock lock(&mu_);
  return fence_;
}

bool LeaderElection::WaitUntilLeading(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto leading = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return fence_.has_value(); };
  return mu_.AwaitWithTimeout(absl::Condition(&leading), timeout);
}

bool LeaderElection::Pause(absl::Duration duration) {
  absl::MutexLock lock(&mu_);
  auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
  return !mu_.AwaitWithTimeout(absl::Condition(&stopping), duration);
}

void LeaderElection::Run() {
  // A follower looks again a few times per TTL: a dead leader's key goes
  // when its lease expires.
  const absl::Duration recheck = options_.ttl / 4;
  while (true) {
    absl::StatusOr<int64_t> lease = client_->GrantLease(options_.ttl);
    if (!lease.ok()) {
      if (!Pause(recheck)) return;
      continue;
    }
    absl::StatusOr<int64_t> created = client_->CompareAndPut(options_.key, options_.candidate, 0, *lease);
    if (!created.ok()) {
      (void)client_->RevokeLease(*lease);
      if (!Pause(recheck)) return;
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      fence_ = *created;
    }
    spdlog::info("{} leads {} (revision {})", options_.candidate, options_.key, *created);
    // Lead while the lease lives: renewed three times per TTL.
    bool stopping = false;
    while (true) {
      if (!Pause(options_.ttl / 3)) {
        stopping = true;
        break;
      }
      if (absl::Status kept = client_->KeepAlive(*lease); !kept.ok()) {
        spdlog::warn("{} no longer leads {}: {}", options_.candidate, options_.key,
                     std::string(kept.message()));
        break;
      }
    }
    {
      absl::MutexLock lock(&mu_);
      fence_.reset();
    }
    // Resign: the key goes with its lease, and another candidate leads at once.
    (void)client_->RevokeLease(*lease);
    if (stopping) return;
  }
}

}  // namespace keel::etcd
