// Graceful shutdown on SIGTERM and SIGINT.
//
// Construct one ShutdownSignal at the top of main, before any thread starts:
// it blocks the two signals in every thread and waits for them on a thread of
// its own, so no async-signal-safety rules leak into service code. Services
// block in Wait(); tests and an all-in-one binary call Trigger() instead.
#ifndef KEEL_LIBS_COMMON_SHUTDOWN_H_
#define KEEL_LIBS_COMMON_SHUTDOWN_H_

#include <pthread.h>

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"

namespace keel {

class ShutdownSignal {
 public:
  // Blocks SIGTERM and SIGINT in the calling thread (inherited by threads it
  // starts later) and starts the waiting thread. A second signal while
  // shutting down exits the process at once with status 1.
  ShutdownSignal();
  ~ShutdownSignal();

  ShutdownSignal(const ShutdownSignal&) = delete;
  ShutdownSignal& operator=(const ShutdownSignal&) = delete;

  // Wait blocks until a signal arrives or Trigger() is called.
  void Wait();

  // Trigger starts shutdown as if a signal had arrived.
  void Trigger();

  bool triggered() const { return requested_.HasBeenNotified(); }

 private:
  void WaitForSignals();

  absl::Notification requested_;
  std::atomic<bool> trigger_claimed_{false};  // first Trigger() or signal wins
  std::atomic<bool> closing_{false};
  std::thread waiter_;
};

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_SHUTDOWN_H_
