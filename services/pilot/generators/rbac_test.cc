#include "services/pilot/generators/rbac.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "re2/re2.h"

namespace keel::pilot {
namespace {

TEST(RbacTranslationTest, PrincipalFormsTranslateExactly) {
  EXPECT_EQ(PrincipalMatcher("cluster.local/ns/a/sa/b").exact(), "spiffe://cluster.local/ns/a/sa/b");
  EXPECT_EQ(PrincipalMatcher("cluster.local/ns/a/*").prefix(), "spiffe://cluster.local/ns/a/");
  // A suffix form keeps no scheme: "spiffe://*..." would never match.
  EXPECT_EQ(PrincipalMatcher("*/sa/b").suffix(), "/sa/b");
  EXPECT_EQ(PrincipalMatcher("*").safe_regex().regex(), ".+");
}

TEST(RbacTranslationTest, NamespacesAreQuotedIntoTheRegex) {
  const std::string regex = NamespaceRegex("a.b");
  EXPECT_TRUE(RE2::FullMatch("spiffe://cluster.local/ns/a.b/sa/x", regex));
  EXPECT_FALSE(RE2::FullMatch("spiffe://cluster.local/ns/axb/sa/x", regex));  // "." is not a wildcard
  EXPECT_FALSE(RE2::FullMatch("spiffe://cluster.local/ns/x/sa/y", NamespaceRegex(".*")));
  EXPECT_TRUE(RE2::FullMatch("spiffe://cluster.local/ns/prod-eu/sa/y", NamespaceRegex("prod-*")));
  EXPECT_TRUE(RE2::FullMatch("spiffe://cluster.local/ns/anything/sa/y", NamespaceRegex("*")));
}

}  // namespace
}  // namespace keel::pilot
