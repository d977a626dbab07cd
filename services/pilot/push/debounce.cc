#include "services/pilot/push/debounce.h"

namespace keel::pilot {

Debouncer::Debouncer(absl::Duration quiet, absl::Duration max_delay, Callback callback)
    : quiet_(quiet), max_delay_(max_delay), callback_(std::move(callback)) {
  thread_ = std::thread([this] { Loop(); });
}

Debouncer::~Debouncer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void Debouncer::Event() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (pending_ == 0) first_ = now;
  last_ = now;
  ++pending_;
}

void Debouncer::Loop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    // Sleep until there is work, then until the burst is due.
    mu_.Await(absl::Condition(
        +[](Debouncer* d)
             ABSL_EXCLUSIVE_LOCKS_REQUIRED(d->mu_) { return d->stopping_ || d->pending_ > 0; },
        this));
    if (stopping_) return;
    const absl::Time due = std::min(last_ + quiet_, first_ + max_delay_);
    const absl::Time now = absl::Now();
    if (now < due) {
      mu_.AwaitWithDeadline(absl::Condition(
                                +[](bool* stopping) { return *stopping; }, &stopping_),
                            due);
      if (stopping_) return;
      continue;  // recompute: more events may have arrived
    }
    const int merged = pending_;
    pending_ = 0;
    mu_.Unlock();
    callback_(merged);
    mu_.Lock();
  }
}

}  // namespace keel::pilot
