#include "libs/mixerclient/check_cache.h"

#include "gtest/gtest.h"

namespace keel::mixerclient {
namespace {

using mixer::AttributeBag;
using mixer::ReferencedValue;
using mixer::StringMap;

const absl::Time kNow = absl::FromUnixSeconds(1000);

AttributeBag Request(const std::string& user, const std::string& path) {
  return AttributeBag{{"request.headers", StringMap{{"x-user", user}, {"x-trace", path}}},
                      {"request.path", path}};
}

// Mixer said the answer depended on the x-user header and on the absence
// of source.principal: other paths and traces share it, other users and a
// request with a principal do not.
TEST(CheckCacheTest, AnswersOnlyRequestsThatAgreeOnTheReferencedAttributes) {
  CheckCache cache;
  const std::vector<ReferencedValue> referenced = {
      {.reference = {.name = "request.headers", .map_key = "x-user"}, .present = true},
      {.reference = {.name = "source.principal"}, .present = false},
  };
  EXPECT_FALSE(cache.Lookup(Request("john", "/a"), kNow).has_value());
  cache.Insert(Request("john", "/a"), referenced, absl::PermissionDeniedError("no john"),
               absl::Seconds(10), 100, kNow);
  std::optional<absl::Status> hit = cache.Lookup(Request("john", "/b"), kNow);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->code(), absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(cache.Lookup(Request("jane", "/a"), kNow).has_value());
  AttributeBag with_principal = Request("john", "/a");
  with_principal["source.principal"] = std::string("cluster.local/ns/a/sa/b");
  EXPECT_FALSE(cache.Lookup(with_principal, kNow).has_value());
  AttributeBag without_header = {{"request.path", std::string("/a")}};
  EXPECT_FALSE(cache.Lookup(without_header, kNow).has_value());
}

TEST(CheckCacheTest, AnswersExpireByTimeAndByUseCount) {
  CheckCache cache;
  const std::vector<ReferencedValue> referenced = {
      {.reference = {.name = "request.path"}, .present = true}};
  cache.Insert(Request("a", "/x"), referenced, absl::OkStatus(), absl::Seconds(5), 3, kNow);
  // Three uses: the request that asked, then two from the cache.
  EXPECT_TRUE(cache.Lookup(Request("a", "/x"), kNow).has_value());
  EXPECT_TRUE(cache.Lookup(Request("a", "/x"), kNow).has_value());
  EXPECT_FALSE(cache.Lookup(Request("a", "/x"), kNow).has_value());
  cache.Insert(Request("a", "/y"), referenced, absl::OkStatus(), absl::Seconds(5), 100, kNow);
  EXPECT_TRUE(cache.Lookup(Request("a", "/y"), kNow + absl::Seconds(4)).has_value());
  EXPECT_FALSE(cache.Lookup(Request("a", "/y"), kNow + absl::Seconds(5)).has_value());
  // Nothing is kept for no time, and Clear forgets everything.
  cache.Insert(Request("a", "/z"), referenced, absl::OkStatus(), absl::ZeroDuration(), 100, kNow);
  EXPECT_FALSE(cache.Lookup(Request("a", "/z"), kNow).has_value());
  cache.Insert(Request("a", "/z"), referenced, absl::OkStatus(), absl::Seconds(5), 100, kNow);
  cache.Clear();
  EXPECT_FALSE(cache.Lookup(Request("a", "/z"), kNow).has_value());
}

// An answer whose references contradict the request (Mixer saw a value the
// client did not send) would answer the wrong requests: it is not kept.
TEST(CheckCacheTest, ContradictoryReferencesAreNotCachedAndSizeIsBounded) {
  CheckCache cache(/*max_entries=*/2);
  cache.Insert(Request("a", "/x"), {{.reference = {.name = "source.principal"}, .present = true}},
               absl::OkStatus(), absl::Seconds(5), 100, kNow);
  EXPECT_EQ(cache.size(), 0u);
  const std::vector<ReferencedValue> referenced = {
      {.reference = {.name = "request.path"}, .present = true}};
  for (const char* path : {"/1", "/2", "/3"}) {
    cache.Insert(Request("a", path), referenced, absl::OkStatus(), absl::Seconds(5), 100, kNow);
  }
  EXPECT_LE(cache.size(), 2u);
  EXPECT_TRUE(cache.Lookup(Request("a", "/3"), kNow).has_value());
}

// Values of different types never collide: the string "1" is not the int 1.
TEST(CheckCacheTest, ValuesOfDifferentTypesAreDifferentKeys) {
  CheckCache cache;
  const std::vector<ReferencedValue> referenced = {
      {.reference = {.name = "v"}, .present = true}};
  cache.Insert({{"v", std::string("1")}}, referenced, absl::OkStatus(), absl::Seconds(5), 100,
               kNow);
  EXPECT_TRUE(cache.Lookup({{"v", std::string("1")}}, kNow).has_value());
  EXPECT_FALSE(cache.Lookup({{"v", int64_t{1}}}, kNow).has_value());
  EXPECT_FALSE(cache.Lookup({{"v", mixer::Bytes{"1"}}}, kNow).has_value());
}

}  // namespace
}  // namespace keel::mixerclient
