#include "libs/common/debounce.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

// The rule, on a fake clock: no sleeps.
const absl::Time kStart = absl::FromUnixSeconds(1000);

TEST(DebounceWindowTest, ALoneChangeIsNotDelayed) {
  DebounceWindow window(absl::Milliseconds(50), absl::Seconds(10));
  EXPECT_EQ(window.Due(), absl::InfiniteFuture());
  window.Event(kStart);
  EXPECT_EQ(window.Due(), kStart);
  EXPECT_EQ(window.TakeIfDue(kStart), 1);
  EXPECT_EQ(window.Due(), absl::InfiniteFuture());
  // Another lone change after a quiet spell: at once again.
  window.Event(kStart + absl::Milliseconds(60));
  EXPECT_EQ(window.TakeIfDue(kStart + absl::Milliseconds(60)), 1);
}

TEST(DebounceWindowTest, ABurstLeadsOnceThenBecomesOneReactionAfterTheQuietTime) {
  DebounceWindow window(absl::Milliseconds(50), absl::Seconds(10));
  std::vector<int> reactions;
  for (int i = 0; i < 20; ++i) {
    window.Event(kStart + absl::Milliseconds(5 * i));
    if (int merged = window.TakeIfDue(kStart + absl::Milliseconds(5 * i + 1)); merged > 0) {
      reactions.push_back(merged);
    }
  }
  EXPECT_THAT(reactions, ::testing::ElementsAre(1));  // the leading edge
  EXPECT_EQ(window.Due(), kStart + absl::Milliseconds(95 + 50));
  EXPECT_EQ(window.TakeIfDue(kStart + absl::Milliseconds(144)), 0);
  EXPECT_EQ(window.TakeIfDue(kStart + absl::Milliseconds(145)), 19);
  EXPECT_EQ(window.pending(), 0);
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
  // The first event at once; then each burst closes 200 ms after it began:
  // at 210, 410 and 610 ms.
  EXPECT_THAT(reactions, ::testing::ElementsAre(1, 20, 20, 20));
}

// What protects Pilot under churn: 1,000 changes in 10 s cost one reaction
// more than a trailing-only debounce (which reacts once, at 10 s).
TEST(DebounceWindowTest, ChurnCostsOneReactionMoreThanTrailingOnly) {
  DebounceWindow window(absl::Milliseconds(100), absl::Seconds(10));
  std::vector<int> reactions;
  absl::Time now = kStart;
  for (int i = 0; i < 1000; ++i) {
    now = kStart + absl::Milliseconds(10 * i);
    if (int merged = window.TakeIfDue(now); merged > 0) reactions.push_back(merged);
    window.Event(now);
  }
  if (int merged = window.TakeIfDue(window.Due()); merged > 0) reactions.push_back(merged);
  EXPECT_THAT(reactions, ::testing::ElementsAre(1, 999));
}

TEST(DebounceWindowTest, SeparateBurstsReactSeparately) {
  DebounceWindow window(absl::Milliseconds(20), absl::Seconds(10));
  window.Event(kStart);
  EXPECT_EQ(window.TakeIfDue(kStart + absl::Milliseconds(20)), 1);
  window.Event(kStart + absl::Milliseconds(150));
  EXPECT_EQ(window.Due(), kStart + absl::Milliseconds(150));  // quiet since: leads
  EXPECT_EQ(window.TakeIfDue(kStart + absl::Milliseconds(150)), 1);
}

// A change that may be incomplete (a file still being written) never leads,
// and takes the lead from one not yet taken: no half-written state is read.
TEST(DebounceWindowTest, AnIncompleteChangeNeverLeads) {
  DebounceWindow window(absl::Milliseconds(50), absl::Seconds(10));
  window.Event(kStart, /*may_lead=*/false);
  EXPECT_EQ(window.Due(), kStart + absl::Milliseconds(50));
  EXPECT_EQ(window.TakeIfDue(kStart + absl::Milliseconds(50)), 1);
  window.Event(kStart + absl::Seconds(1));
  window.Event(kStart + absl::Seconds(1), /*may_lead=*/false);
  EXPECT_EQ(window.Due(), kStart + absl::Seconds(1) + absl::Milliseconds(50));
}

// The thread around the rule: an event leads to one callback (awaited, not
// slept for).
TEST(DebouncerTest, CallsBackAtMostTwiceForABurst) {
  absl::Mutex mu;
  std::vector<int> calls;
  int merged_total = 0;
  // A quiet time far longer than five events take, even on a busy machine.
  Debouncer debouncer(absl::Seconds(1), absl::Seconds(10), [&](int merged) {
    absl::MutexLock lock(&mu);
    calls.push_back(merged);
    merged_total += merged;
  });
  for (int i = 0; i < 5; ++i) debouncer.Event();
  absl::MutexLock lock(&mu);
  ASSERT_TRUE(mu.AwaitWithTimeout(
      absl::Condition(+[](int* total) { return *total == 5; }, &merged_total),
      absl::Seconds(10)));
  // The leading edge (if the thread woke before the rest arrived), then one
  // reaction for the rest.
  EXPECT_LE(calls.size(), 2u);
}

}  // namespace
}  // namespace keel
