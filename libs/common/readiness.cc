#include "libs/common/readiness.h"

#include <utility>

namespace keel {

Readiness::Readiness(std::string reason) : reason_(std::move(reason)) {}

void Readiness::SetReady() {
  {
    absl::MutexLock lock(&mu_);
    if (ready_) return;
    ready_ = true;
    reason_.clear();
  }
  Notify(true);
}

void Readiness::SetNotReady(std::string reason) {
  bool changed;
  {
    absl::MutexLock lock(&mu_);
    changed = ready_;
    ready_ = false;
    reason_ = std::move(reason);
  }
  if (changed) Notify(false);
}

bool Readiness::IsReady() const {
  absl::MutexLock lock(&mu_);
  return ready_;
}

std::string Readiness::Reason() const {
  absl::MutexLock lock(&mu_);
  return reason_;
}

void Readiness::OnChange(Listener listener) {
  bool ready;
  {
    absl::MutexLock lock(&mu_);
    listeners_.push_back(listener);
    ready = ready_;
  }
  listener(ready);
}

void Readiness::Notify(bool ready) {
  std::vector<Listener> listeners;
  {
    absl::MutexLock lock(&mu_);
    listeners = listeners_;
  }
  for (const Listener& listener : listeners) listener(ready);
}

}  // namespace keel
