#include "libs/mixer/expression.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::mixer {
namespace {

using ::testing::HasSubstr;
namespace vt = istio::policy::v1beta1;

const AttributeTypes kTypes = {
    {"source.user", vt::STRING},        {"source.ip", vt::IP_ADDRESS},
    {"request.headers", vt::STRING_MAP}, {"destination.labels", vt::STRING_MAP},
    {"source.labels", vt::STRING_MAP},   {"request.path", vt::STRING},
    {"response.code", vt::INT64},        {"context.reporter.kind", vt::STRING},
    {"connection.mtls", vt::BOOL},       {"request.time", vt::TIMESTAMP},
    {"response.duration", vt::DURATION},
};

AttributeBag Ratings() {
  return AttributeBag{
      {"destination.labels", StringMap{{"app", "ratings"}}},
      {"source.labels", StringMap{{"app", "reviews"}, {"version", "v3"}}},
      {"source.user", std::string("cluster.local/ns/default/sa/bookinfo-reviews")},
      {"request.headers", StringMap{{"x-user", "john"}, {"cookie", "user=jason"}}},
      {"request.path", std::string("/ratings/0")},
      {"source.ip", Bytes{std::string("\x0a\x00\x00\x01", 4)}},
      {"response.code", int64_t{200}},
  };
}

AttributeValue Eval(const std::string& text, const AttributeBag& bag = Ratings()) {
  absl::StatusOr<Expression> compiled = Expression::Compile(text, kTypes);
  EXPECT_TRUE(compiled.ok()) << text << ": " << compiled.status();
  if (!compiled.ok()) return false;
  absl::StatusOr<AttributeValue> value = compiled->Evaluate(bag);
  EXPECT_TRUE(value.ok()) << text << ": " << value.status();
  return value.ok() ? *value : AttributeValue(false);
}

// Istio 1.4's bookinfo policy samples' expressions.
TEST(ExpressionTest, IstioSampleMatchesEvaluate) {
  EXPECT_TRUE(std::get<bool>(Eval(
      "destination.labels[\"app\"] == \"ratings\" && source.labels[\"app\"]==\"reviews\" && "
      "source.labels[\"version\"] == \"v3\"")));
  EXPECT_TRUE(std::get<bool>(Eval("(request.headers[\"x-user\"] | \"\") == \"john\"")));
  EXPECT_FALSE(std::get<bool>(Eval("(request.headers[\"x-other\"] | \"\") == \"john\"")));
  EXPECT_EQ(std::get<std::string>(
                Eval("conditional((context.reporter.kind | \"inbound\") == \"outbound\", "
                     "\"client\", \"server\")")),
            "server");
  EXPECT_FALSE(std::get<bool>(Eval("match(request.headers[\"cookie\"], \"user=*\") == false")));
  EXPECT_TRUE(std::get<bool>(Eval("request.path.startsWith(\"/ratings\")")));
  EXPECT_TRUE(std::get<bool>(Eval("\"^/ratings/[0-9]+$\".matches(request.path)")));
  EXPECT_TRUE(std::get<bool>(Eval("source.ip == ip(\"10.0.0.1\")")));
  EXPECT_TRUE(std::get<bool>(Eval("response.code == 200 || !connection.mtls")));
  EXPECT_EQ(std::get<std::string>(Eval("toLower(\"ABC\")")), "abc");
  EXPECT_EQ(std::get<StringMap>(Eval("emptyStringMap()")), StringMap{});
  // Istio's standard metrics: a duration literal written as a string.
  EXPECT_EQ(std::get<absl::Duration>(Eval("response.duration | \"0ms\"")), absl::ZeroDuration());
  AttributeBag timed = Ratings();
  timed["response.duration"] = absl::Milliseconds(7);
  EXPECT_EQ(std::get<absl::Duration>(Eval("response.duration | \"0ms\"", timed)),
            absl::Milliseconds(7));
  EXPECT_TRUE(std::get<bool>(Eval("response.duration == \"7ms\"", timed)));
}

TEST(ExpressionTest, AnAbsentAttributeIsNotFoundUnlessDefaulted) {
  absl::StatusOr<Expression> compiled = Expression::Compile("connection.mtls", kTypes);
  ASSERT_TRUE(compiled.ok());
  absl::StatusOr<AttributeValue> value = compiled->Evaluate(Ratings());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(value.status().message(), HasSubstr("lookup failed: 'connection.mtls'"));
  EXPECT_FALSE(std::get<bool>(Eval("connection.mtls | false")));
}

TEST(ExpressionTest, TypeErrorsAndBadSyntaxSayWhatAndWhere) {
  auto error = [](const std::string& text, ExpressionLimits limits = {}) {
    absl::StatusOr<Expression> compiled = Expression::Compile(text, kTypes, limits);
    EXPECT_EQ(compiled.status().code(), absl::StatusCode::kInvalidArgument) << text;
    return std::string(compiled.status().message());
  };
  EXPECT_THAT(error("response.code == \"200\""), HasSubstr("\"==\" between INT64 and STRING"));
  EXPECT_THAT(error("source.nope == \"a\""), HasSubstr("column 1: unknown attribute source.nope"));
  EXPECT_THAT(error("request.path[\"a\"]"), HasSubstr("cannot index STRING with STRING"));
  EXPECT_THAT(error("request.path | 1"), HasSubstr("\"|\" between STRING and INT64"));
  EXPECT_THAT(error("response.code && true"), HasSubstr("\"&&\" between INT64 and BOOL"));
  EXPECT_THAT(error("frobnicate(1)"), HasSubstr("unknown function frobnicate"));
  EXPECT_THAT(error("match(request.path)"), HasSubstr("match takes 2 arguments, not 1"));
  EXPECT_THAT(error("\"a(\".matches(request.path)"), HasSubstr("bad regex"));
  EXPECT_THAT(error("request.path == \"unterminated"), HasSubstr("unterminated string"));
  EXPECT_THAT(error("response.code + 1"), HasSubstr("operator \"+\" is not supported"));
  EXPECT_THAT(error("(((((((((true)))))))))", ExpressionLimits{.max_depth = 5}),
              HasSubstr("nested deeper than 5"));
  EXPECT_THAT(error(std::string(5000, 'a')), HasSubstr("the limit is 4096"));
  EXPECT_THAT(error("request.path =="), HasSubstr("unexpected end of expression"));
  EXPECT_THAT(error("response.duration | \"soon\""), HasSubstr("\"soon\" is not a duration"));
}

// What a cached Check answer depends on: each attribute once, a map by the
// constant key it is indexed with, both sides of `|` and `&&`.
TEST(ExpressionTest, ReferencesNameEveryAttributeAndConstantMapKeyReadable) {
  absl::StatusOr<Expression> compiled = Expression::Compile(
      "(request.headers[\"x-user\"] | source.user) == \"john\" && "
      "destination.labels[request.path] == \"a\" && source.user != \"\"",
      kTypes);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_THAT(compiled->references(),
              ::testing::UnorderedElementsAre(
                  AttributeReference{.name = "request.headers", .map_key = "x-user"},
                  AttributeReference{.name = "source.user"},
                  AttributeReference{.name = "destination.labels"},
                  AttributeReference{.name = "request.path"}));
  EXPECT_THAT(Expression::Compile("true", kTypes)->references(), ::testing::IsEmpty());
}

}  // namespace
}  // namespace keel::mixer
