#include "libs/common/shutdown.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "spdlog/spdlog.h"

namespace keel {
namespace {

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

ShutdownSignal::ShutdownSignal() {
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  waiter_ = std::thread([this] { WaitForSignals(); });
}

ShutdownSignal::~ShutdownSignal() {
  closing_ = true;
  // Wake the waiter with a signal it is waiting for; closing_ tells it to stop.
  pthread_kill(waiter_.native_handle(), SIGTERM);
  waiter_.join();
}

void ShutdownSignal::WaitForSignals() {
  sigset_t set = ShutdownSignals();
  while (true) {
    int signal_number = 0;
    if (sigwait(&set, &signal_number) != 0) continue;
    if (closing_) return;
    if (trigger_claimed_.exchange(true)) {
      spdlog::warn("second {} during shutdown: exiting now", strsignal(signal_number));
      std::_Exit(1);
    }
    spdlog::info("received {}: shutting down", strsignal(signal_number));
    requested_.Notify();
  }
}

void ShutdownSignal::Wait() { requested_.WaitForNotification(); }

void ShutdownSignal::Trigger() {
  if (!trigger_claimed_.exchange(true)) requested_.Notify();
}

}  // namespace keel
