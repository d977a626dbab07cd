#include "libs/common/json_writer.h"

#include <cmath>

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

// JSON has no NaN or infinity: a rate divided by no time is null, not a
// document every parser refuses.
TEST(JsonWriterTest, DoublesAreNumbersAndNonFiniteOnesNull) {
  JsonWriter json;
  json.BeginArray().Double(0.25).Double(3).Double(1.0 / 0.0).Double(std::nan("")).EndArray();
  EXPECT_EQ(json.Take(), "[0.25,3,null,null]");
}

}  // namespace
}  // namespace keel
