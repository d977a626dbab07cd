// keelctl describe's text, from Pilot's golden answers for the bookinfo
// samples (services/pilot/testdata/golden/describe-*.json), against golden
// text (update with KEEL_UPDATE_GOLDEN=<dir>).
#include "services/keelctl/commands/describe.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::keelctl {
namespace {

using ::testing::HasSubstr;

std::string Golden(const std::string& name) {
  std::ifstream in(std::string(std::getenv("TEST_SRCDIR")) +
                   "/keel/services/pilot/testdata/golden/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void ExpectGoldenText(const std::string& text, const std::string& golden) {
  if (const char* update = std::getenv("KEEL_UPDATE_GOLDEN"); update != nullptr) {
    std::ofstream(std::string(update) + "/" + golden) << text;
    return;
  }
  EXPECT_EQ(text, Golden(golden)) << "keelctl describe's text differs from " << golden;
}

TEST(DescribeTextTest, ReviewsJasonV2V3) {
  absl::StatusOr<std::string> text =
      FormatServiceDescription(Golden("describe-reviews-jason-v2-v3.json"));
  ASSERT_TRUE(text.ok()) << text.status();
  ExpectGoldenText(*text, "describe-reviews-jason-v2-v3.txt");
}

TEST(DescribeTextTest, RatingsTestAbortWithANack) {
  absl::StatusOr<std::string> text =
      FormatServiceDescription(Golden("describe-ratings-test-abort.json"));
  ASSERT_TRUE(text.ok()) << text.status();
  ExpectGoldenText(*text, "describe-ratings-test-abort.txt");
  EXPECT_THAT(*text, HasSubstr("NACKED: RDS: route weights do not add up"));
}

TEST(DescribeTextTest, Workload) {
  absl::StatusOr<std::string> text =
      FormatWorkloadDescription(Golden("describe-workload-reviews-v2.json"));
  ASSERT_TRUE(text.ok()) << text.status();
  ExpectGoldenText(*text, "describe-workload-reviews-v2.txt");
}

TEST(DescribeTextTest, NotADescriptionIsAnError) {
  EXPECT_FALSE(FormatServiceDescription("{\"errors\": [\"x\"]}").ok());
  EXPECT_FALSE(FormatServiceDescription("not json at all {").ok());
  EXPECT_FALSE(FormatWorkloadDescription("[]").ok());
}

}  // namespace
}  // namespace keel::keelctl
