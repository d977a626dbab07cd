#include "services/pilot/generators/rbac.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "re2/re2.h"

namespace keel::pilot {
namespace {

TEST(RbacTranslationTest, PrincipalFormsTranslateExactly) {
  EXPECT_EQ(PrincipalMatcher("cluster.local/ns/a/sa/b").exact(),
            "spiffe://cluster.local/ns/a/sa/b");
  EXPECT_EQ(PrincipalMatcher("cluster.local/ns/a/*").prefix(), "spiffe://cluster.local/ns/a/");
  // A suffix form keeps no scheme: "spiffe://*..." would never match.
  EXPECT_EQ(PrincipalMatcher("*/sa/b").suffix(), "/sa/b");
  EXPECT_EQ(PrincipalMatcher("*").safe_regex().regex(), ".+");
}

TEST(RbacTranslationTest, NamespacesAreQuotedIntoTheRegex) {
  const std::string regex = NamespaceRegex("a.b");
  EXPECT_TRUE(RE2::FullMatch("spiffe://cluster.local/ns/a.b/sa/x", regex));
  EXPECT_FALSE(
      RE2::FullMatch("spiffe://cluster.local/ns/axb/sa/x", regex));  // "." is not a wildcard
  EXPECT_FALSE(RE2::FullMatch("spiffe://cluster.local/ns/x/sa/y", NamespaceRegex(".*")));
  EXPECT_TRUE(RE2::FullMatch("spiffe://cluster.local/ns/prod-eu/sa/y", NamespaceRegex("prod-*")));
  EXPECT_TRUE(RE2::FullMatch("spiffe://cluster.local/ns/anything/sa/y", NamespaceRegex("*")));
}

TEST(RbacTranslationTest, HostsMatchCaseInsensitivelyWithOrWithoutPort) {
  const std::string exact = HostRegex("echo.example.com");
  EXPECT_TRUE(RE2::FullMatch("Echo.Example.COM", exact));
  EXPECT_TRUE(RE2::FullMatch("echo.example.com:7070", exact));
  EXPECT_FALSE(RE2::FullMatch("echoXexample.com", exact));  // "." is not a wildcard
  EXPECT_FALSE(RE2::FullMatch("evil.echo.example.com", exact));
  EXPECT_TRUE(RE2::FullMatch("a.B.example.com:80", HostRegex("*.example.com")));
  EXPECT_TRUE(RE2::FullMatch("api.internal:9", HostRegex("api.*")));
}

}  // namespace
}  // namespace keel::pilot
