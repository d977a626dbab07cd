#include "libs/common/debounce.h"

#include <algorithm>

namespace keel {

void DebounceWindow::Event(absl::Time now, bool may_lead) {
  if (pending_ == 0) {
    first_ = now;
    leading_ = may_lead && now - last_reaction_ >= quiet_;
  } else if (!may_lead) {
    leading_ = false;
  }
  last_ = now;
  ++pending_;
}

absl::Time DebounceWindow::Due() const {
  if (pending_ == 0) return absl::InfiniteFuture();
  if (leading_) return first_;
  return std::min(last_ + quiet_, first_ + max_delay_);
}

int DebounceWindow::TakeIfDue(absl::Time now) {
  if (pending_ == 0 || now < Due()) return 0;
  const int merged = pending_;
  pending_ = 0;
  leading_ = false;
  last_reaction_ = now;
  return merged;
}

Debouncer::Debouncer(absl::Duration quiet, absl::Duration max_delay, Callback callback)
    : callback_(std::move(callback)), window_(quiet, max_delay) {
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
  window_.Event(absl::Now());
}

void Debouncer::Loop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    // Sleep until there is work, then until the burst is due (an event
    // arriving meanwhile wakes the wait: the due time is recomputed).
    mu_.Await(absl::Condition(
        +[](Debouncer* d) ABSL_EXCLUSIVE_LOCKS_REQUIRED(d->mu_) {
          return d->stopping_ || d->window_.pending() > 0;
        },
        this));
    if (stopping_) return;
    const int merged = window_.TakeIfDue(absl::Now());
    if (merged == 0) {
      mu_.AwaitWithDeadline(absl::Condition(&stopping_), window_.Due());
      if (stopping_) return;
      continue;
    }
    mu_.Unlock();
    callback_(merged);
    mu_.Lock();
  }
}

}  // namespace keel
