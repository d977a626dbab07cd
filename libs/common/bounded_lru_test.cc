#include "libs/common/bounded_lru.h"
#include "libs/common/keyed_rate_limiter.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

using ::testing::ElementsAre;

TEST(BoundedLruTest, EvictsTheLeastRecentlyUsedToStayUnderItsBytes) {
  std::vector<std::string> evicted;
  BoundedLru<int> table(1000, [&](BoundedLru<int>::Entry& e) { evicted.push_back(e.key); });
  for (int i = 0; i < 100; ++i) {
    table.FindOrInsert("key" + std::to_string(i), 100).value = i;
    ASSERT_LE(table.bytes(), table.max_bytes());
  }
  // Each entry costs its overhead, its key twice and 100: about 200 bytes.
  EXPECT_GT(table.size(), 2u);
  EXPECT_LT(table.size(), 6u);
  EXPECT_EQ(table.evictions(), 100 - table.size());
  EXPECT_EQ(evicted.size(), table.evictions());
  EXPECT_EQ(evicted.front(), "key0");
  ASSERT_NE(table.Find("key99"), nullptr);
  EXPECT_EQ(table.Find("key99")->value, 99);
  EXPECT_EQ(table.Find("key0"), nullptr);
}

TEST(BoundedLruTest, UsingAnEntryKeepsItAndEraseFreesItsBytes) {
  BoundedLru<int> table(3 * (96 + 2 + 10));
  table.FindOrInsert("a", 10).value = 1;
  table.FindOrInsert("b", 10).value = 2;
  table.FindOrInsert("c", 10).value = 3;
  ASSERT_EQ(table.size(), 3u);
  table.Find("a");                 // "b" is now the oldest
  table.FindOrInsert("d", 10);     // and goes
  EXPECT_NE(table.Find("a"), nullptr);
  EXPECT_EQ(table.Find("b"), nullptr);
  EXPECT_EQ(table.Oldest()->key, "c");
  const size_t before = table.bytes();
  table.Erase("c");
  EXPECT_EQ(table.bytes(), before - (96 + 2 + 10));
  EXPECT_EQ(table.evictions(), 1u);
  std::vector<std::string> keys;
  while (table.Oldest() != nullptr) {
    keys.push_back(table.Oldest()->key);
    table.Erase(table.Oldest()->key);
  }
  EXPECT_THAT(keys, ElementsAre("d", "a"));  // the Find above used "a" last
  EXPECT_EQ(table.bytes(), 0u);
}

TEST(KeyedRateLimiterTest, EachKeyHasItsOwnBucket) {
  absl::Time now = absl::FromUnixSeconds(1000);
  KeyedRateLimiter limiter(/*per_second=*/2, /*burst=*/3, 1 << 20, [&now] { return now; });
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Take("alice"), std::nullopt);
  std::optional<absl::Duration> wait = limiter.Take("alice");
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, absl::Milliseconds(500));
  EXPECT_EQ(limiter.Take("bob"), std::nullopt);  // alice's burst is not bob's
  now += absl::Milliseconds(500);
  EXPECT_EQ(limiter.Take("alice"), std::nullopt);
  EXPECT_TRUE(limiter.Take("alice").has_value());
  KeyedRateLimiter unlimited(0, 0);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(unlimited.Take("x"), std::nullopt);
}

}  // namespace
}  // namespace keel
