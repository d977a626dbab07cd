// Debouncing: merging bursts of change events into one reaction.
//
// A lone change is not delayed: an event that finds the window idle (nothing
// pending, and the last reaction at least `quiet` ago) is due at once, on
// its leading edge. Only a burst is debounced: after an event within `quiet`
// of the last reaction, wait until `quiet` has passed with no new event, but
// never longer than `max_delay` after the burst's first event (Istio's Pilot
// debounces every change with PILOT_DEBOUNCE_AFTER / PILOT_DEBOUNCE_MAX). So
// a change after a quiet spell costs no debounce, and churn costs at most one
// reaction more per burst than a trailing-only debounce. The rule is
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

  // Event records a change at `now`. `may_lead` false: the change may be
  // incomplete (a file still being written), so it never fires on its
  // leading edge, and cancels a leading edge not yet taken.
  void Event(absl::Time now, bool may_lead = true);

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
  bool leading_ = false;  // the pending events fire at once
  absl::Time first_;
  absl::Time last_;
  absl::Time last_reaction_ = absl::InfinitePast();
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
