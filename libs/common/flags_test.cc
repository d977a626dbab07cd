#include "libs/common/flags.h"

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, test_port, 15010, "A port for the flag parser's tests.");
ABSL_FLAG(bool, test_enabled, false, "A boolean for the flag parser's tests.");
ABSL_FLAG(absl::Duration, test_timeout, absl::Seconds(1), "A duration for the tests.");

namespace keel {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FlagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::SetFlag(&FLAGS_test_port, 15010);
    absl::SetFlag(&FLAGS_test_enabled, false);
  }
};

TEST_F(FlagsTest, AppliesEqualsAndSeparateValueForms) {
  auto parsed = ParseFlags({"--test_port=9901", "--test_timeout", "250ms", "pos"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(absl::GetFlag(FLAGS_test_port), 9901);
  EXPECT_EQ(absl::GetFlag(FLAGS_test_timeout), absl::Milliseconds(250));
  EXPECT_THAT(parsed->positional, ElementsAre("pos"));
  EXPECT_EQ(parsed->action, ParsedCommandLine::Action::kRun);
}

TEST_F(FlagsTest, BooleanFlagsTakeNoValueAndHaveANoForm) {
  ASSERT_TRUE(ParseFlags({"--test_enabled"}).ok());
  EXPECT_TRUE(absl::GetFlag(FLAGS_test_enabled));
  ASSERT_TRUE(ParseFlags({"--notest_enabled"}).ok());
  EXPECT_FALSE(absl::GetFlag(FLAGS_test_enabled));
}

TEST_F(FlagsTest, DoubleDashEndsFlags) {
  auto parsed = ParseFlags({"a", "--", "--test_port=1"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_THAT(parsed->positional, ElementsAre("a", "--test_port=1"));
  EXPECT_EQ(absl::GetFlag(FLAGS_test_port), 15010);
}

TEST_F(FlagsTest, UnknownFlagIsAnErrorNamingIt) {
  auto parsed = ParseFlags({"--no_such_flag=3"});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("unknown flag --no_such_flag"));
}

TEST_F(FlagsTest, BadValueIsAnErrorAndLeavesTheFlagUnchanged) {
  auto parsed = ParseFlags({"--test_port=eighty"});
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(),
              HasSubstr("invalid value \"eighty\" for flag --test_port"));
  EXPECT_EQ(absl::GetFlag(FLAGS_test_port), 15010);
}

TEST_F(FlagsTest, MissingValueIsAnError) {
  auto parsed = ParseFlags({"--test_port"});
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("flag --test_port needs a value"));
}

TEST_F(FlagsTest, HelpAndVersionAreActions) {
  EXPECT_EQ(ParseFlags({"--help"})->action, ParsedCommandLine::Action::kHelp);
  EXPECT_EQ(ParseFlags({"--version"})->action, ParsedCommandLine::Action::kVersion);
}

TEST_F(FlagsTest, HelpListsKeelFlagsOnly) {
  std::string help = FlagsHelp("prog", "Does things.");
  EXPECT_THAT(help,
              HasSubstr("--test_port  A port for the flag parser's tests. (default: \"15010\")"));
  EXPECT_THAT(help, HasSubstr("prog: Does things."));
  // gRPC and Abseil register flags of their own; users never need them.
  EXPECT_THAT(help, ::testing::Not(HasSubstr("--flagfile")));
}

}  // namespace
}  // namespace keel
