#include "libs/common/logging.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

TEST(InitLoggingTest, RejectsUnknownLevelAndFormat) {
  EXPECT_TRUE(InitLogging("test", {.format = "json", .level = "debug"}).ok());
  EXPECT_TRUE(InitLogging("test", {.format = "text", .level = "off"}).ok());
  auto bad_level = InitLogging("test", {.format = "text", .level = "loud"});
  EXPECT_EQ(bad_level.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_level.message(), ::testing::HasSubstr("unknown level \"loud\""));
  auto bad_format = InitLogging("test", {.format = "xml", .level = "info"});
  EXPECT_THAT(bad_format.message(), ::testing::HasSubstr("unknown format \"xml\""));
}

}  // namespace
TEST(ClientTextTest, EscapesControlBytesAndCutsLongText) {
  EXPECT_EQ(ClientText("node\n1\x1b[31m"), "node\\x0a1\\x1b[31m");
  EXPECT_EQ(ClientText(std::string(1 << 20, 'a'), 4), "aaaa...(1048576 bytes)");
  EXPECT_EQ(ClientText("short"), "short");
}

TEST(LogRateLimiterTest, LetsABurstThroughThenCountsWhatItDrops) {
  LogRateLimiter limiter(5);
  uint64_t dropped = 99;
  int allowed = 0;
  for (int i = 0; i < 1000; ++i) allowed += limiter.Allow(&dropped) ? 1 : 0;
  // 1,000 calls in far less than a second: the burst, plus at most what
  // refilled meanwhile.
  EXPECT_GE(allowed, 5);
  EXPECT_LT(allowed, 50);
  EXPECT_EQ(dropped, 0u);  // the burst dropped nothing before it
}

}  // namespace keel
