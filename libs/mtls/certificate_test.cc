#include "libs/mtls/certificate.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/mtls/spiffe.h"
#include "libs/mtls/testing/openssl_cli.h"

namespace keel::mtls {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

struct TestCa {
  PrivateKey key;
  Certificate root;
};

TestCa MakeCa(absl::Duration ttl = absl::Hours(24 * 365)) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  EXPECT_TRUE(key.ok()) << key.status();
  const absl::Time now = absl::Now();
  absl::StatusOr<Certificate> root = SelfSignedRoot(
      *key, {.organization = "cluster.local", .not_before = now - absl::Minutes(5),
             .not_after = now + ttl});
  EXPECT_TRUE(root.ok()) << root.status();
  return TestCa{*std::move(key), *std::move(root)};
}

TEST(KeyTest, EveryKeyTypeIsGeneratedDescribedAndReadBack) {
  for (auto [type, description] : std::vector<std::pair<KeyType, std::string>>{
           {KeyType::kEcdsaP256, "ECDSA P-256"}, {KeyType::kRsa2048, "RSA 2048"},
           {KeyType::kRsa3072, "RSA 3072"}}) {
    absl::StatusOr<PrivateKey> key = PrivateKey::Generate(type);
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(key->Info().Describe(), description);
    absl::StatusOr<PrivateKey> again = PrivateKey::FromPem(key->ToPem());
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->ToPem(), key->ToPem());
  }
  EXPECT_EQ(*ParseKeyType("RSA-4096"), KeyType::kRsa4096);
  EXPECT_THAT(ParseKeyType("DSA").status().message(), HasSubstr("unknown key type \"DSA\""));
  EXPECT_EQ(PrivateKey::FromPem("garbage").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CsrTest, BuiltThenParsedKeepsItsUriSansAndKey) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  absl::StatusOr<CertificateRequest> csr = CertificateRequest::Build(
      *key, {.uri_sans = {"spiffe://cluster.local/ns/shop/sa/cart"}, .organization = "x"});
  ASSERT_TRUE(csr.ok()) << csr.status();
  absl::StatusOr<CertificateRequest> parsed = CertificateRequest::FromPem(csr->ToPem());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->UriSans(), ElementsAre("spiffe://cluster.local/ns/shop/sa/cart"));
  EXPECT_EQ(parsed->KeyInfo().Describe(), "ECDSA P-256");
  // openssl agrees that the request is well formed and self-signed.
  const std::string path = TempPath("request.csr");
  WriteFile(path, csr->ToPem());
  testing::CommandResult checked = testing::Run("openssl req -noout -verify -in " + path);
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
}

TEST(CsrTest, GarbageAndTamperedRequestsAreInvalidArguments) {
  EXPECT_THAT(CertificateRequest::FromPem("not pem").status().message(),
              HasSubstr("not a PEM certificate request"));
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  absl::StatusOr<CertificateRequest> csr = CertificateRequest::Build(
      *key, {.uri_sans = {"spiffe://cluster.local/ns/a/sa/b"}});
  ASSERT_TRUE(csr.ok());
  // Flip one character inside the base64 body: the signature no longer matches.
  std::string pem = csr->ToPem();
  const size_t body = pem.find('\n') + 40;
  pem[body] = pem[body] == 'A' ? 'B' : 'A';
  absl::StatusOr<CertificateRequest> tampered = CertificateRequest::FromPem(pem);
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(IssuerTest, ALeafCarriesTheGivenSanVerifiesWithOpensslAndNeverOutlivesItsIssuer) {
  TestCa ca = MakeCa(absl::Hours(2));
  absl::StatusOr<PrivateKey> leaf_key = PrivateKey::Generate(KeyType::kRsa2048);
  ASSERT_TRUE(leaf_key.ok());
  const absl::Time now = absl::Now();
  absl::StatusOr<Certificate> leaf = Issuer(ca.key, ca.root).Sign(
      *leaf_key->Public(), {.uri_sans = {"spiffe://cluster.local/ns/shop/sa/cart"},
                        .not_before = now - absl::Minutes(5),
                        .not_after = now + absl::Hours(24)});
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  EXPECT_THAT(leaf->UriSans(), ElementsAre("spiffe://cluster.local/ns/shop/sa/cart"));
  EXPECT_FALSE(leaf->IsCa());
  EXPECT_TRUE(leaf->MatchesKey(*leaf_key));
  // Asked for 24 h under a root that lives 2 h: capped at the root's end.
  EXPECT_EQ(leaf->NotAfter(), ca.root.NotAfter());
  EXPECT_LE(leaf->NotBefore(), now - absl::Minutes(4));
  EXPECT_TRUE(VerifyChain({*leaf, ca.root}, {ca.root}).ok());

  WriteFile(TempPath("root.pem"), ca.root.ToPem());
  WriteFile(TempPath("leaf.pem"), leaf->ToPem());
  testing::CommandResult verified = testing::Run(absl::StrCat(
      "openssl verify -CAfile ", TempPath("root.pem"), " ", TempPath("leaf.pem")));
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_THAT(verified.output, HasSubstr(": OK"));
  // The SAN is critical (no subject), as RFC 5280 and Istio's leaves have it.
  testing::CommandResult text =
      testing::Run(absl::StrCat("openssl x509 -noout -text -in ", TempPath("leaf.pem")));
  EXPECT_THAT(text.output, HasSubstr("X509v3 Subject Alternative Name: critical"));
  EXPECT_THAT(text.output, HasSubstr("URI:spiffe://cluster.local/ns/shop/sa/cart"));
  EXPECT_THAT(text.output, HasSubstr("TLS Web Server Authentication, TLS Web Client Authentication"));
}

TEST(VerifyTest, AnotherRootOrAnotherTimeDoesNotVerify) {
  TestCa ca = MakeCa();
  TestCa stranger = MakeCa();
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  const absl::Time now = absl::Now();
  absl::StatusOr<Certificate> leaf = Issuer(ca.key, ca.root).Sign(
      *key->Public(), {.uri_sans = {"spiffe://cluster.local/ns/a/sa/b"},
                   .not_before = now,
                   .not_after = now + absl::Hours(1)});
  ASSERT_TRUE(leaf.ok());
  absl::Status other = VerifyChain({*leaf}, {stranger.root});
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(other.message(), HasSubstr("unable to get local issuer certificate"));
  absl::Status later = VerifyChain({*leaf}, {ca.root}, now + absl::Hours(2));
  EXPECT_THAT(later.message(), HasSubstr("certificate has expired"));
}

TEST(ChainTest, PemChainsReadInOrder) {
  TestCa a = MakeCa();
  TestCa b = MakeCa();
  absl::StatusOr<std::vector<Certificate>> chain =
      Certificate::ChainFromPem(ChainToPem({a.root, b.root}));
  ASSERT_TRUE(chain.ok());
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_TRUE((*chain)[0].SameAs(a.root));
  EXPECT_TRUE((*chain)[1].SameAs(b.root));
  EXPECT_FALSE(Certificate::ChainFromPem("").ok());
}

TEST(SpiffeTest, WorkloadIdsParseAndBadOnesSayWhy) {
  absl::StatusOr<SpiffeId> id = SpiffeId::Parse("spiffe://cluster.local/ns/shop/sa/cart");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->namespace_name, "shop");
  EXPECT_EQ(id->service_account, "cart");
  EXPECT_EQ(id->ToString(), "spiffe://cluster.local/ns/shop/sa/cart");
  EXPECT_THAT(SpiffeId::Parse("https://x").status().message(), HasSubstr("not a spiffe:// URI"));
  EXPECT_THAT(SpiffeId::Parse("spiffe://td/ns/Shop/sa/cart").status().message(),
              HasSubstr("bad namespace"));
  EXPECT_FALSE(SpiffeId::Parse("spiffe://td/ns/a/sa/b/extra").ok());
}

}  // namespace
}  // namespace keel::mtls
