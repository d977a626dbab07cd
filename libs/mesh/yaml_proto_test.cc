#include "libs/mesh/yaml_proto.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/keel/testing/conversion_test.pb.h"

namespace keel::mesh {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Converted {
  keel::testing::Everything message;
  std::vector<ConversionError> errors;
  FieldPositions positions;
};

Converted Convert(const std::string& yaml) {
  Converted out;
  YamlToProto(YAML::Load(yaml), "spec", out.message, &out.positions, out.errors);
  return out;
}

std::vector<std::string> Messages(const std::vector<ConversionError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) {
    out.push_back(
        absl::StrCat(e.position.line, ":", e.position.column, " ", e.path, ": ", e.message));
  }
  return out;
}

TEST(YamlToProtoTest, ReadsEveryShape) {
  Converted c = Convert(R"(
text: hello
count: -3
big: "9007199254740993"
port: 8080
ratio: 0.25
smallRatio: 1
enabled: true
mode: STRICT
data: aGVsbG8=
inner: {name: a, number: 1}
inners:
- name: b
- name: c
hosts: ["*.example.com", reviews]
labels: {app: reviews, version: v1}
byPort:
  "9080": {name: http}
timeout: 1m30.5s
created: "2026-01-02T03:04:05Z"
params: {a: 1, b: [x, true, null], c: {d: e}}
maxRetries: 3
flag: false
exact: /path
anyValue: [1, two]
modes: [PERMISSIVE, 1]
)");
  ASSERT_THAT(c.errors, IsEmpty()) << Messages(c.errors)[0];
  const auto& m = c.message;
  EXPECT_EQ(m.text(), "hello");
  EXPECT_EQ(m.count(), -3);
  EXPECT_EQ(m.big(), 9007199254740993);
  EXPECT_EQ(m.port(), 8080u);
  EXPECT_DOUBLE_EQ(m.ratio(), 0.25);
  EXPECT_TRUE(m.enabled());
  EXPECT_EQ(m.mode(), keel::testing::Everything::STRICT);
  EXPECT_EQ(m.data(), "hello");
  EXPECT_EQ(m.inner().number(), 1u);
  ASSERT_EQ(m.inners_size(), 2);
  EXPECT_EQ(m.inners(1).name(), "c");
  EXPECT_THAT(m.hosts(), ElementsAre("*.example.com", "reviews"));
  EXPECT_EQ(m.labels().at("version"), "v1");
  EXPECT_EQ(m.by_port().at(9080).name(), "http");
  EXPECT_EQ(m.timeout().seconds(), 90);
  EXPECT_EQ(m.timeout().nanos(), 500000000);
  EXPECT_EQ(m.created().seconds(), 1767323045);
  EXPECT_EQ(m.params().fields().at("a").number_value(), 1);
  EXPECT_TRUE(m.params().fields().at("b").list_value().values(1).bool_value());
  EXPECT_EQ(m.params().fields().at("c").struct_value().fields().at("d").string_value(), "e");
  EXPECT_EQ(m.max_retries().value(), 3u);
  EXPECT_TRUE(m.has_flag());
  EXPECT_EQ(m.exact(), "/path");
  EXPECT_EQ(m.any_value().list_value().values(1).string_value(), "two");
  EXPECT_THAT(m.modes(), ElementsAre(keel::testing::Everything::PERMISSIVE,
                                     keel::testing::Everything::STRICT));
}

TEST(YamlToProtoTest, AcceptsProtoFieldNamesToo) {
  Converted c = Convert("small_ratio: 2\nmax_retries: 1\n");
  EXPECT_THAT(c.errors, IsEmpty());
  EXPECT_EQ(c.message.small_ratio(), 2.0f);
}

TEST(YamlToProtoTest, WrongTypesNameFieldLineAndColumn) {
  Converted c = Convert(R"(text: ok
count: eighty
inners:
- name: a
  number: -1
hosts: reviews
enabled: "true"
text2: x
)");
  EXPECT_THAT(Messages(c.errors),
              ElementsAre("2:1 spec.count: expected integer, got \"eighty\"",
                          "5:3 spec.inners[0].number: value -1 is out of range for uint32",
                          "6:1 spec.hosts: expected a list, got \"reviews\"",
                          "7:1 spec.enabled: expected boolean, got \"true\"",
                          "8:1 spec.text2: unknown field \"text2\" in Everything (did you mean "
                          "\"text\"?)"));
}

TEST(YamlToProtoTest, CollectsEveryErrorInOnePass) {
  Converted c = Convert("mode: LOOSE\nport: 5000000000\ntimeout: soon\ntext: 80\ninner: [1]\n");
  EXPECT_THAT(
      Messages(c.errors),
      ElementsAre("1:1 spec.mode: unknown value \"LOOSE\" for Mode (want one of MODE_UNSET, "
                  "STRICT, PERMISSIVE)",
                  "2:1 spec.port: value 5000000000 is out of range for uint32",
                  "3:1 spec.timeout: expected a duration such as \"1s\", \"100ms\" or \"1m30s\", "
                  "got \"soon\"",
                  "4:1 spec.text: expected string, got \"80\"",
                  "5:1 spec.inner: expected a map (Inner), got a list"));
}

TEST(YamlToProtoTest, StringsMustBeUtf8) {
  Converted c = Convert("text: caf\xe9\nlabels: {ok: \"\xc3\xa9\"}\n");
  EXPECT_THAT(Messages(c.errors), ElementsAre("1:1 spec.text: string is not valid UTF-8"));
  EXPECT_EQ(c.message.labels().at("ok"), "\xc3\xa9");
}

TEST(YamlToProtoTest, OneofFieldsAreMutuallyExclusive) {
  Converted c = Convert("exact: /a\nprefix: /b\n");
  EXPECT_THAT(Messages(c.errors),
              ElementsAre("2:1 spec.prefix: only one of exact, prefix may be set (\"exact\" is "
                          "set too)"));
}

TEST(YamlToProtoTest, NullMeansUnset) {
  Converted c = Convert("text: ~\ninner:\ncount: null\n");
  EXPECT_THAT(c.errors, IsEmpty());
  EXPECT_FALSE(c.message.has_inner());
}

TEST(YamlToProtoTest, TopLevelMustBeAMap) {
  Converted c = Convert("- a\n- b\n");
  EXPECT_THAT(Messages(c.errors), ElementsAre("1:1 spec: expected a map (Everything), got a list"));
}

// YAML 1.1's resolution of plain scalars, as Kubernetes reads it: numbers,
// booleans and nulls only when unquoted and spelled as such.
TEST(YamlToProtoTest, PlainScalarsResolveAsYaml11) {
  Converted c = Convert(R"(
params:
  int: 42
  signed: -7
  float: 1.5
  exponent: 1e5
  leading_dot: .5
  trailing_dot: 5.
  inf: -.inf
  nan: .nan
  yes_word: yes
  off_word: Off
  tilde: ~
  quoted_number: "42"
  dot_alone: .
  exponent_alone: 1e
  version: 1.2.3
  word: truer
)");
  ASSERT_THAT(c.errors, IsEmpty());
  const auto& f = c.message.params().fields();
  for (const char* number : {"int", "signed", "float", "exponent", "leading_dot", "trailing_dot"}) {
    EXPECT_EQ(f.at(number).kind_case(), google::protobuf::Value::kNumberValue) << number;
  }
  EXPECT_EQ(f.at("exponent").number_value(), 100000);
  EXPECT_EQ(f.at("trailing_dot").number_value(), 5);
  EXPECT_TRUE(f.at("yes_word").bool_value());
  EXPECT_FALSE(f.at("off_word").bool_value());
  EXPECT_EQ(f.at("off_word").kind_case(), google::protobuf::Value::kBoolValue);
  EXPECT_EQ(f.at("tilde").kind_case(), google::protobuf::Value::kNullValue);
  // Infinity and NaN have no JSON number form: a Struct keeps their text.
  for (const char* text :
       {"inf", "nan", "quoted_number", "dot_alone", "exponent_alone", "version", "word"}) {
    EXPECT_EQ(f.at(text).kind_case(), google::protobuf::Value::kStringValue) << text;
  }
}

TEST(FieldPositionsTest, FallsBackToNearestAncestor) {
  Converted c = Convert("inners:\n- name: a\n  number: 2\n");
  EXPECT_EQ(c.positions.Find("spec.inners[0].number").line, 3);
  EXPECT_EQ(c.positions.Find("spec.inners[0].missing").line, 2);
  EXPECT_EQ(c.positions.Find("spec.inners[0].missing").column, 3);
  EXPECT_EQ(c.positions.Find("nothing").line, 0);
}

}  // namespace
}  // namespace keel::mesh
