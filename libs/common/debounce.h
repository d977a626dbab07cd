// Debouncing: merging bursts of change events into one reaction.
//
// After an event, wait until `quiet` has passed with no new event, but never
// longer than `max_delay` after the first event of the burst (Istio's Pilot
// does the same with PILOT_DEBOUNCE_AFTER / PILOT_DEBOUNCE_MAX). The rule is
// DebounceWindow, a state machine that takes the time as an argument (so it
// is tested with a fake clock); Debouncer runs it on a thread of its own.
#ifndef KEEL_LIBS_COMMON_DEBOUNCE_H_
#define KEEL_LIBS_COMMON_DEBOUNCE_H_

#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace keel {

class DebounceWindow {
 public:
  DebounceWindow(absl::Duration quiet, absl::Duration max_delay)
      : quiet_(quiet), max_delay_(max_delay) {}

  // Event records a change at `now`.
  void Event(absl::Time now);

  // Due is when the pending burst should fire; InfiniteFuture if none.
  absl::Time Due() const;

  // TakeIfDue returns the number of events merged and starts over when the
  // burst is due at `now`; otherwise 0.
  int TakeIfDue(absl::Time now);

  int pending() const { return pending_; }

 private:
  absl::Duration quiet_;
  absl::Duration max_delay_;
  int pending_ = 0;
  absl::Time first_;
  absl::Time last_;
};

class Debouncer {
 public:
  using Callback = std::function<void(int merged_events)>;

  Debouncer(absl::Duration quiet, absl::Duration max_delay, Callback callback);
  ~Debouncer();  // stops; a pending burst is dropped

  // Event records a change; thread-safe and never blocks on the callback.
  void Event();

 private:
  void Loop();

  Callback callback_;
  absl::Mutex mu_;
  DebounceWindow window_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_DEBOUNCE_H_
