#include "libs/common/debounce.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

// The rule, on a fake clock: no sleeps.
const absl::Time kStart = absl::FromUnixSeconds(1000);

TEST(DebounceWindowTest, ABurstBecomesOneReactionAfterTheQuietTime) {
  DebounceWindow window(absl::Milliseconds(50), absl::Seconds(10));
  EXPECT_EQ(window.Due(), absl::InfiniteFuture());
  for (int i = 0; i < 20; ++i) {
    window.Event(kStart + absl::Milliseconds(5 * i));
    EXPECT_EQ(window.TakeIfDue(kStart + absl::Milliseconds(5 * i + 1)), 0);
  }
  EXPECT_EQ(window.Due(), kStart + absl::Milliseconds(95 + 50));
  EXPECT_EQ(window.TakeIfDue(kStart + absl::Milliseconds(144)), 0);
  EXPECT_EQ(window.TakeIfDue(kStart + absl::Milliseconds(145)), 20);
  EXPECT_EQ(window.pending(), 0);
  EXPECT_EQ(window.Due(), absl::InfiniteFuture());
}

TEST(DebounceWindowTest, MaxDelayBoundsAnEndlessBurst) {
  DebounceWindow window(absl::Milliseconds(50), absl::Milliseconds(200));
  std::vector<int> reactions;
  // An event every 10 ms for 700 ms: never quiet for 50 ms.
  for (int t = 0; t <= 700; t += 10) {
    const absl::Time now = kStart + absl::Milliseconds(t);
    if (int merged = window.TakeIfDue(now); merged > 0) reactions.push_back(merged);
    window.Event(now);
  }
  // Each burst closes 200 ms after it began: at 200, 400 and 600 ms.
  EXPECT_THAT(reactions, ::testing::ElementsAre(20, 20, 20));
}

TEST(DebounceWindowTest, SeparateBurstsReactSeparately) {
  DebounceWindow window(absl::Milliseconds(20), absl::Seconds(10));
  window.Event(kStart);
  EXPECT_EQ(window.TakeIfDue(kStart + absl::Milliseconds(20)), 1);
  window.Event(kStart + absl::Milliseconds(150));
  EXPECT_EQ(window.Due(), kStart + absl::Milliseconds(170));
  EXPECT_EQ(window.TakeIfDue(kStart + absl::Milliseconds(170)), 1);
}

// The thread around the rule: an event leads to one callback (awaited, not
// slept for).
TEST(DebouncerTest, CallsBackOnceForABurst) {
  absl::Mutex mu;
  std::vector<int> calls;
  Debouncer debouncer(absl::Milliseconds(20), absl::Seconds(10), [&](int merged) {
    absl::MutexLock lock(&mu);
    calls.push_back(merged);
  });
  for (int i = 0; i < 5; ++i) debouncer.Event();
  absl::MutexLock lock(&mu);
  ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(
                                      +[](std::vector<int>* c) { return !c->empty(); }, &calls),
                                  absl::Seconds(10)));
  EXPECT_THAT(calls, ::testing::ElementsAre(5));
}

}  // namespace
}  // namespace keel
