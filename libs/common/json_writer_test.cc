#include "libs/common/json_writer.h"

#include "gtest/gtest.h"

namespace keel {
namespace {

TEST(JsonEscapeTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonEscape("say \"hi\"\\\n\t\x01"), "say \\\"hi\\\"\\\\\\n\\t\\u0001");
  EXPECT_EQ(JsonEscape("plain"), "plain");
}

TEST(JsonWriterTest, NestsWithCommasInPlace) {
  JsonWriter json;
  json.BeginObject()
      .Key("a")
      .Int(-1)
      .Key("b")
      .BeginArray()
      .Uint(2)
      .Bool(true)
      .BeginObject()
      .EndObject()
      .EndArray()
      .Key("c")
      .Raw("{\"x\":1}")
      .EndObject();
  EXPECT_EQ(json.Take(), "{\"a\":-1,\"b\":[2,true,{}],\"c\":{\"x\":1}}");
}

// A client-supplied string (a node id, a type URL) cannot break the page.
TEST(JsonWriterTest, EscapesKeysAndStrings) {
  JsonWriter json;
  json.BeginObject().Key("id\"").String("node\n\"},{\"evil\":1").EndObject();
  EXPECT_EQ(json.Take(), "{\"id\\\"\":\"node\\n\\\"},{\\\"evil\\\":1\"}");
}

}  // namespace
}  // namespace keel
