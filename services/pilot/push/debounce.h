// Debouncer: merges bursts of change events into one push.
//
// After an event it waits until `quiet` has passed with no new event, but
// never longer than `max_delay` after the first event of the burst, then
// calls the callback once with the number of events merged. (Istio's Pilot
// does the same with PILOT_DEBOUNCE_AFTER / PILOT_DEBOUNCE_MAX.)
#ifndef KEEL_SERVICES_PILOT_PUSH_DEBOUNCE_H_
#define KEEL_SERVICES_PILOT_PUSH_DEBOUNCE_H_

#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace keel::pilot {

class Debouncer {
 public:
  using Callback = std::function<void(int merged_events)>;

  Debouncer(absl::Duration quiet, absl::Duration max_delay, Callback callback);
  ~Debouncer();  // stops; a pending burst is dropped

  // Event records a change; thread-safe and never blocks on the callback.
  void Event();

 private:
  void Loop();

  const absl::Duration quiet_;
  const absl::Duration max_delay_;
  Callback callback_;
  absl::Mutex mu_;
  int pending_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time first_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_PUSH_DEBOUNCE_H_
