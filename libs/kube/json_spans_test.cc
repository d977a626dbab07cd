#include "libs/kube/json_spans.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::kube {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(JsonSpansTest, MembersAreTheTextTheServerWrote) {
  absl::StatusOr<std::map<std::string, std::string_view>> event = JsonMembers(
      R"({"type":"ADDED","object":{"spec":{"v":"1.0","s":"a}\"b"},"n":[1,{"x":2}]}} )");
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ((*event)["type"], "\"ADDED\"");
  // A string stays quoted (so "1.0" is not read as a number), and braces
  // inside strings do not end the object.
  EXPECT_EQ((*event)["object"], R"({"spec":{"v":"1.0","s":"a}\"b"},"n":[1,{"x":2}]})");
}

TEST(JsonSpansTest, ElementsOfAList) {
  absl::StatusOr<std::vector<std::string_view>> items =
      JsonElements(R"([ {"a":1}, "two", 3 ,[4]])");
  ASSERT_TRUE(items.ok()) << items.status();
  EXPECT_THAT(*items, ElementsAre(R"({"a":1})", "\"two\"", "3", "[4]"));
  absl::StatusOr<std::vector<std::string_view>> empty = JsonElements("[]");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(JsonSpansTest, MalformedTextIsRefusedWithWhere) {
  for (const char* bad : {"", "[1,2]", R"({"a":1)", R"({"a" 1})", R"({"a":"x)", R"({"a":1} x)",
                          R"({"a":{"b":1})"}) {
    absl::StatusOr<std::map<std::string, std::string_view>> members = JsonMembers(bad);
    EXPECT_FALSE(members.ok()) << bad;
    if (!members.ok()) EXPECT_THAT(members.status().message(), HasSubstr("at offset")) << bad;
  }
  EXPECT_FALSE(JsonElements("[1,").ok());
  EXPECT_FALSE(JsonElements(R"({"a":1})").ok());
}

}  // namespace
}  // namespace keel::kube
