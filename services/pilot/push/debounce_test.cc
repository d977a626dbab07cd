#include "services/pilot/push/debounce.h"

#include <atomic>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::pilot {
namespace {

TEST(DebouncerTest, ABurstBecomesOnePush) {
  absl::Mutex mu;
  std::vector<int> pushes;
  Debouncer debouncer(absl::Milliseconds(50), absl::Seconds(10), [&](int merged) {
    absl::MutexLock lock(&mu);
    pushes.push_back(merged);
  });
  for (int i = 0; i < 20; ++i) {
    debouncer.Event();
    absl::SleepFor(absl::Milliseconds(5));
  }
  absl::SleepFor(absl::Milliseconds(300));
  absl::MutexLock lock(&mu);
  EXPECT_THAT(pushes, ::testing::ElementsAre(20));
}

TEST(DebouncerTest, MaxDelayBoundsAnEndlessBurst) {
  std::atomic<int> pushes{0};
  Debouncer debouncer(absl::Milliseconds(50), absl::Milliseconds(200), [&](int) { ++pushes; });
  const absl::Time end = absl::Now() + absl::Milliseconds(700);
  while (absl::Now() < end) {  // events every 10 ms: never quiet for 50 ms
    debouncer.Event();
    absl::SleepFor(absl::Milliseconds(10));
  }
  // Without the bound there would be no push at all until the burst ends.
  EXPECT_GE(pushes.load(), 2);
  EXPECT_LE(pushes.load(), 5);
}

TEST(DebouncerTest, SeparateBurstsPushSeparately) {
  std::atomic<int> pushes{0};
  Debouncer debouncer(absl::Milliseconds(20), absl::Seconds(10), [&](int) { ++pushes; });
  debouncer.Event();
  absl::SleepFor(absl::Milliseconds(150));
  debouncer.Event();
  absl::SleepFor(absl::Milliseconds(150));
  EXPECT_EQ(pushes.load(), 2);
}

}  // namespace
}  // namespace keel::pilot
