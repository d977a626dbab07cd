#include "libs/tracing/trace_context.h"

#include <map>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::tracing {
namespace {

using Headers = std::map<std::string, std::string>;

HeaderLookup From(const Headers& headers) {
  return [&headers](std::string_view name) -> std::optional<std::string_view> {
    auto it = headers.find(std::string(name));
    if (it == headers.end()) return std::nullopt;
    return std::string_view(it->second);
  };
}

class CountingIds : public IdSource {
 public:
  uint64_t Next() override { return ++next_; }

 private:
  uint64_t next_ = 0x100;
};

TEST(TraceContextTest, B3MultiHeadersAsEnvoySendsThem) {
  const Headers headers = {{"x-b3-traceid", "463ac35c9f6413ad48485a3953bb6124"},
                           {"x-b3-spanid", "a2fb4a1d1a96d312"},
                           {"x-b3-parentspanid", "0020000000000001"},
                           {"x-b3-sampled", "1"}};
  std::optional<TraceContext> context = ExtractTraceContext(From(headers));
  ASSERT_TRUE(context.has_value());
  EXPECT_EQ(context->TraceIdHex(), "463ac35c9f6413ad48485a3953bb6124");
  EXPECT_EQ(context->SpanIdHex(), "a2fb4a1d1a96d312");
  EXPECT_EQ(context->parent_span_id, 0x0020000000000001u);
  EXPECT_TRUE(context->sampled());
  // Written back, each format says the same.
  Headers out;
  InjectTraceContext(*context, [&](std::string_view name, std::string value) { out[std::string(name)] = value; });
  EXPECT_EQ(out["x-b3-traceid"], "463ac35c9f6413ad48485a3953bb6124");
  EXPECT_EQ(out["x-b3-spanid"], "a2fb4a1d1a96d312");
  EXPECT_EQ(out["x-b3-parentspanid"], "0020000000000001");
  EXPECT_EQ(out["x-b3-sampled"], "1");
  EXPECT_EQ(out["b3"], "463ac35c9f6413ad48485a3953bb6124-a2fb4a1d1a96d312-1-0020000000000001");
  EXPECT_EQ(out["traceparent"], "00-463ac35c9f6413ad48485a3953bb6124-a2fb4a1d1a96d312-01");
  for (const char* single_format : {"b3", "traceparent"}) {
    SCOPED_TRACE(single_format);
    const Headers only = {{single_format, out[single_format]}};
    std::optional<TraceContext> again = ExtractTraceContext(From(only));
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->TraceIdHex(), context->TraceIdHex());
    EXPECT_EQ(again->span_id, context->span_id);
    EXPECT_TRUE(again->sampled());
  }
}

TEST(TraceContextTest, TheSpecificationsExamples) {
  // B3's single-header example.
  std::optional<TraceContext> b3 = ExtractTraceContext(
      From({{"b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90"}}));
  ASSERT_TRUE(b3.has_value());
  EXPECT_EQ(b3->TraceIdHex(), "80f198ee56343ba864fe8b2a57d3eff7");
  EXPECT_EQ(b3->SpanIdHex(), "e457b5a2e4d86bd1");
  EXPECT_EQ(b3->parent_span_id, 0x05e3ac9a4f6e3b90u);
  EXPECT_EQ(b3->sampling, Sampling::kSampled);
  // A 64-bit trace id, debug.
  b3 = ExtractTraceContext(From({{"b3", "a3ce929d0e0e4736-00f067aa0ba902b7-d"}}));
  ASSERT_TRUE(b3.has_value());
  EXPECT_EQ(b3->TraceIdHex(), "a3ce929d0e0e4736");
  EXPECT_EQ(b3->sampling, Sampling::kDebug);
  // W3C's example.
  std::optional<TraceContext> w3c = ExtractTraceContext(
      From({{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}));
  ASSERT_TRUE(w3c.has_value());
  EXPECT_EQ(w3c->TraceIdHex(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(w3c->SpanIdHex(), "b7ad6b7169203331");
  EXPECT_TRUE(w3c->sampled());
  w3c = ExtractTraceContext(From({{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"}}));
  ASSERT_TRUE(w3c.has_value());
  EXPECT_EQ(w3c->sampling, Sampling::kNotSampled);
  // A later version may carry more fields.
  EXPECT_TRUE(ExtractTraceContext(
                  From({{"traceparent", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"}}))
                  .has_value());
}

TEST(TraceContextTest, ACallersDecisionAloneIsHonouredDownstream) {
  for (const Headers& headers : {Headers{{"b3", "0"}}, Headers{{"x-b3-sampled", "0"}}}) {
    std::optional<TraceContext> decision = ExtractTraceContext(From(headers));
    ASSERT_TRUE(decision.has_value());
    EXPECT_FALSE(decision->has_ids());
    EXPECT_EQ(decision->sampling, Sampling::kNotSampled);
    CountingIds ids;
    const TraceContext child = decision->Child(ids);
    EXPECT_TRUE(child.has_ids());
    EXPECT_EQ(child.sampling, Sampling::kNotSampled);
    Headers out;
    InjectTraceContext(child, [&](std::string_view name, std::string value) { out[std::string(name)] = value; });
    EXPECT_EQ(out["x-b3-sampled"], "0");
    EXPECT_THAT(out["traceparent"], ::testing::EndsWith("-00"));
  }
  // Written without ids, a decision travels alone.
  Headers out;
  InjectTraceContext(TraceContext{.sampling = Sampling::kNotSampled},
                     [&](std::string_view name, std::string value) { out[std::string(name)] = value; });
  EXPECT_EQ(out, (Headers{{"b3", "0"}, {"x-b3-sampled", "0"}}));
}

TEST(TraceContextTest, MalformedHeadersAreIgnored) {
  for (const Headers& headers : {
           Headers{{"b3", "80F198EE56343BA864FE8B2A57D3EFF7-E457B5A2E4D86BD1-1"}},  // upper case
           Headers{{"b3", "80f198ee56343ba8-e457b5a2e4d86bd1-2"}},                  // bad decision
           Headers{{"b3", "80f198ee56343ba-e457b5a2e4d86bd1"}},                     // 15 characters
           Headers{{"b3", "0000000000000000-e457b5a2e4d86bd1"}},                    // zero trace id
           Headers{{"b3", "80f198ee56343ba8-0000000000000000"}},                    // zero span id
           Headers{{"b3", "80f198ee56343ba8"}},
           Headers{{"x-b3-traceid", "463ac35c9f6413ad"}},                           // no span id
           Headers{{"x-b3-traceid", "463ac35c9f6413ad"}, {"x-b3-spanid", "xyz"}},
           Headers{{"traceparent", "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}},
           Headers{{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"}},
           Headers{{"traceparent", "00-00000000000000000000000000000000-b7ad6b7169203331-01"}},
           Headers{{"traceparent", "00-0af7651916cd43dd-b7ad6b7169203331-01"}},
       }) {
    SCOPED_TRACE(headers.begin()->second);
    EXPECT_FALSE(ExtractTraceContext(From(headers)).has_value());
  }
}

TEST(TraceContextTest, B3ComesFirstThenTheMultiHeadersThenW3c) {
  const Headers all = {{"b3", "80f198ee56343ba8-e457b5a2e4d86bd1-1"},
                       {"x-b3-traceid", "463ac35c9f6413ad"},
                       {"x-b3-spanid", "a2fb4a1d1a96d312"},
                       {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
  EXPECT_EQ(ExtractTraceContext(From(all))->TraceIdHex(), "80f198ee56343ba8");
  Headers no_single = all;
  no_single.erase("b3");
  EXPECT_EQ(ExtractTraceContext(From(no_single))->TraceIdHex(), "463ac35c9f6413ad");
  // A malformed b3 falls through to the next format.
  Headers bad_single = all;
  bad_single["b3"] = "nonsense";
  EXPECT_EQ(ExtractTraceContext(From(bad_single))->TraceIdHex(), "463ac35c9f6413ad");
}

TEST(TraceContextTest, AChildKeepsTheTraceAndPointsAtItsParent) {
  CountingIds ids;
  const TraceContext root = TraceContext::Root(ids, /*sampled=*/true);
  EXPECT_EQ(root.TraceIdHex().size(), 32u);
  EXPECT_EQ(root.parent_span_id, 0u);
  const TraceContext child = root.Child(ids);
  EXPECT_EQ(child.TraceIdHex(), root.TraceIdHex());
  EXPECT_EQ(child.parent_span_id, root.span_id);
  EXPECT_NE(child.span_id, root.span_id);
  EXPECT_TRUE(child.sampled());
  // The OS-seeded source gives distinct non-zero ids.
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(RandomIds().Next());
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(seen.count(0), 0u);
}

}  // namespace
}  // namespace keel::tracing
