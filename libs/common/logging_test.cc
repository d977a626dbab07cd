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
}  // namespace keel
