// Eventually: how a test waits for something the system will do, instead
// of sleeping a fixed time or spelling out its own deadline loop.
//
//   ASSERT_TRUE(Eventually([&] { return Leaf(certs) != first; }, absl::Seconds(20)));
#ifndef KEEL_INTEGRATION_HARNESS_EVENTUALLY_H_
#define KEEL_INTEGRATION_HARNESS_EVENTUALLY_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace keel::testing {

// Eventually evaluates `condition` every `poll` until it holds (true) or
// `timeout` has passed (false, after one last evaluation).
inline bool Eventually(const std::function<bool()>& condition, absl::Duration timeout,
                       absl::Duration poll = absl::Milliseconds(50)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(poll);
  }
  return condition();
}

}  // namespace keel::testing

#endif  // KEEL_INTEGRATION_HARNESS_EVENTUALLY_H_
