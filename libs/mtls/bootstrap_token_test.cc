#include "libs/mtls/bootstrap_token.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::mtls {
namespace {

using ::testing::HasSubstr;

TEST(BootstrapTokenTest, IssuedTokensVerifyWithTheirClaims) {
  TokenSigner signer(std::string(32, 'k'));
  absl::StatusOr<std::string> token = signer.Issue("shop", "cart", absl::Hours(1));
  ASSERT_TRUE(token.ok()) << token.status();
  absl::StatusOr<TokenClaims> claims = signer.Verify(*token);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->namespace_name, "shop");
  EXPECT_EQ(claims->service_account, "cart");
  EXPECT_GT(claims->expiry, absl::Now() + absl::Minutes(59));
}

TEST(BootstrapTokenTest, ForgedExpiredAndMalformedTokensAreUnauthenticated) {
  TokenSigner signer(std::string(32, 'k'));
  TokenSigner other(std::string(32, 'o'));
  absl::StatusOr<std::string> token = signer.Issue("shop", "cart", absl::Hours(1));
  ASSERT_TRUE(token.ok());
  auto fails = [&](absl::string_view text, absl::Time at = absl::Now()) {
    absl::StatusOr<TokenClaims> claims = signer.Verify(text, at);
    EXPECT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated) << text;
    return std::string(claims.status().message());
  };
  EXPECT_THAT(fails(*other.Issue("shop", "cart", absl::Hours(1))), HasSubstr("bad signature"));
  EXPECT_THAT(fails(*token, absl::Now() + absl::Hours(2)), HasSubstr("expired"));
  // Another identity pasted into a real token's payload.
  std::string forged = *token;
  const size_t dot = forged.rfind('.');
  forged.replace(8, dot - 8, "bnM9YWRtaW4mc2E9cm9vdCZleHA9OTk5OTk5OTk5OQ");
  EXPECT_THAT(fails(forged), HasSubstr("bad signature"));
  EXPECT_THAT(fails("Bearer"), HasSubstr("not a Keel token"));
  EXPECT_THAT(fails("keel.v1.!!!.???"), HasSubstr("malformed"));
  EXPECT_THAT(fails(std::string(10000, 'a')), HasSubstr("longer than 4096"));
  EXPECT_FALSE(signer.Issue("Bad_NS", "cart", absl::Hours(1)).ok());
  EXPECT_FALSE(signer.Issue("shop", "cart", absl::ZeroDuration()).ok());
}

TEST(BootstrapTokenTest, TheKeyFileIsMadeOnceWithMode0600) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/token-key");
  std::filesystem::remove(path);
  EXPECT_EQ(TokenSigner::FromKeyFile(path, false).status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<TokenSigner> made = TokenSigner::FromKeyFile(path, true);
  ASSERT_TRUE(made.ok()) << made.status();
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  absl::StatusOr<TokenSigner> read = TokenSigner::FromKeyFile(path, false);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->Verify(*made->Issue("a", "b", absl::Minutes(1))).ok());
}

}  // namespace
}  // namespace keel::mtls
