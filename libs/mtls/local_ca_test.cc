#include "libs/mtls/local_ca.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/mtls/testing/openssl_cli.h"

namespace keel::mtls {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string FreshDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name);
  std::filesystem::remove_all(dir);
  return dir;
}

std::unique_ptr<CertificateSigner> MustSigner(const std::string& name, const SignerConfig& config) {
  absl::StatusOr<std::unique_ptr<CertificateSigner>> signer = NewSigner(name, config);
  EXPECT_TRUE(signer.ok()) << signer.status();
  return signer.ok() ? *std::move(signer) : nullptr;
}

std::vector<Certificate> SignOne(CertificateSigner& signer, const std::string& identity,
                                 absl::Duration ttl = absl::Hours(24)) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  absl::StatusOr<std::vector<Certificate>> chain =
      signer.Sign({.public_key = *key->Public(), .uri_sans = {identity}, .ttl = ttl});
  EXPECT_TRUE(chain.ok()) << chain.status();
  return chain.ok() ? *std::move(chain) : std::vector<Certificate>{};
}

TEST(SelfSignedCaTest, FirstStartMakesARootThatARestartKeeps) {
  const std::string dir = FreshDir("self-signed");
  std::unique_ptr<CertificateSigner> first = MustSigner("self-signed", {{"dir", dir}});
  ASSERT_NE(first, nullptr);
  struct stat key_file;
  ASSERT_EQ(stat((dir + "/ca-key.pem").c_str(), &key_file), 0);
  EXPECT_EQ(key_file.st_mode & 0777, 0600);
  const Certificate root = first->SigningCertificate();
  EXPECT_TRUE(root.IsCa());
  // A root lives ten years by default.
  EXPECT_GT(root.NotAfter() - absl::Now(), absl::Hours(24 * 3649));

  std::unique_ptr<CertificateSigner> restarted = MustSigner("self-signed", {{"dir", dir}});
  ASSERT_NE(restarted, nullptr);
  EXPECT_TRUE(restarted->SigningCertificate().SameAs(root));
  // What the restarted CA signs verifies with the root from before.
  std::vector<Certificate> chain = SignOne(*restarted, "spiffe://cluster.local/ns/a/sa/b");
  ASSERT_EQ(chain.size(), 2u);  // leaf, root
  EXPECT_TRUE(chain.back().SameAs(root));
  std::vector<Certificate> roots;
  roots.push_back(root);
  EXPECT_TRUE(VerifyChain(chain, roots).ok());
}

TEST(SelfSignedCaTest, RootRotationKeepsOldLeavesValidThenRetiresTheOldRoot) {
  const std::string dir = FreshDir("rotation");
  std::unique_ptr<CertificateSigner> ca = MustSigner("self-signed", {{"dir", dir}});
  ASSERT_NE(ca, nullptr);
  const Certificate old_root = ca->SigningCertificate();
  std::vector<Certificate> before = SignOne(*ca, "spiffe://cluster.local/ns/a/sa/b");

  ASSERT_TRUE(ca->RotateRoot().ok());
  const Certificate new_root = ca->SigningCertificate();
  EXPECT_FALSE(new_root.SameAs(old_root));
  ASSERT_EQ(ca->Roots().size(), 2u);  // both trusted while workloads move over
  std::vector<Certificate> after = SignOne(*ca, "spiffe://cluster.local/ns/a/sa/b");
  // The key is reused: old leaves verify with the new root alone, new ones
  // with the old root alone, so no peer fails while bundles propagate.
  std::vector<Certificate> only_new, only_old;
  only_new.push_back(new_root);
  only_old.push_back(old_root);
  EXPECT_TRUE(VerifyChain({before[0]}, only_new).ok());
  EXPECT_TRUE(VerifyChain({after[0]}, only_old).ok());

  // A restart mid-rotation keeps both roots.
  std::unique_ptr<CertificateSigner> restarted = MustSigner("self-signed", {{"dir", dir}});
  EXPECT_EQ(restarted->Roots().size(), 2u);
  EXPECT_TRUE(restarted->SigningCertificate().SameAs(new_root));

  ASSERT_TRUE(ca->RetireOldRoots().ok());
  ASSERT_EQ(ca->Roots().size(), 1u);
  EXPECT_TRUE(ca->Roots()[0].SameAs(new_root));
  EXPECT_EQ(MustSigner("self-signed", {{"dir", dir}})->Roots().size(), 1u);
}

// An organisation's root and intermediate, made with the openssl tool as an
// operator would, in Istio's cacerts layout.
std::string MakeCacertsWithOpenssl(const std::string& name) {
  const std::string dir = FreshDir(name);
  std::filesystem::create_directories(dir);
  const std::string script = absl::StrCat(
      "cd ", dir, " && ",
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root-key.pem "
      "-out root-cert.pem -days 3650 -subj '/O=Example Org/CN=Example Root' "
      "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign && ",
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca-key.pem "
      "-out ca.csr -subj '/O=Example Org/CN=Keel intermediate' && ",
      "printf 'basicConstraints=critical,CA:TRUE,pathlen:0\\nkeyUsage=critical,keyCertSign,cRLSign\\n' "
      "> ext.cnf && ",
      "openssl x509 -req -in ca.csr -CA root-cert.pem -CAkey root-key.pem -CAcreateserial "
      "-days 730 -extfile ext.cnf -out ca-cert.pem && ",
      "cat ca-cert.pem root-cert.pem > cert-chain.pem");
  testing::CommandResult made = testing::Run(script);
  EXPECT_EQ(made.exit_code, 0) << made.output;
  return dir;
}

TEST(PluggedInCaTest, SignsUnderAnOrganisationsRootAndOpensslVerifiesTheChain) {
  const std::string dir = MakeCacertsWithOpenssl("cacerts");
  std::unique_ptr<CertificateSigner> ca = MustSigner("cacerts", {{"dir", dir}});
  ASSERT_NE(ca, nullptr);
  std::vector<Certificate> chain = SignOne(*ca, "spiffe://cluster.local/ns/shop/sa/cart");
  ASSERT_EQ(chain.size(), 3u);  // leaf, intermediate, root
  EXPECT_THAT(chain[0].UriSans(), ElementsAre("spiffe://cluster.local/ns/shop/sa/cart"));
  EXPECT_THAT(chain[2].SubjectText(), HasSubstr("CN=Example Root"));
  std::ofstream(dir + "/leaf.pem") << chain[0].ToPem();
  std::ofstream(dir + "/untrusted.pem") << chain[1].ToPem();
  testing::CommandResult verified = testing::Run(
      absl::StrCat("openssl verify -CAfile ", dir, "/root-cert.pem -untrusted ", dir,
                   "/untrusted.pem ", dir, "/leaf.pem"));
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  // A leaf never outlives the intermediate that signed it.
  std::vector<Certificate> long_lived =
      SignOne(*ca, "spiffe://cluster.local/ns/shop/sa/cart", absl::Hours(24 * 365 * 5));
  EXPECT_EQ(long_lived[0].NotAfter(), chain[1].NotAfter());
  EXPECT_EQ(ca->RotateRoot().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(PluggedInCaTest, MismatchedOrMissingFilesAreNamed) {
  const std::string dir = MakeCacertsWithOpenssl("cacerts-bad");
  // The root's key where the intermediate's should be.
  std::filesystem::copy_file(dir + "/root-key.pem", dir + "/ca-key.pem",
                             std::filesystem::copy_options::overwrite_existing);
  absl::StatusOr<std::unique_ptr<CertificateSigner>> mismatched =
      NewSigner("cacerts", {{"dir", dir}});
  ASSERT_FALSE(mismatched.ok());
  EXPECT_THAT(mismatched.status().message(), HasSubstr("ca-cert.pem: does not belong to"));
  std::filesystem::remove(dir + "/root-cert.pem");
  EXPECT_THAT(NewSigner("cacerts", {{"dir", dir}}).status().message(),
              HasSubstr("root-cert.pem: cannot read"));
  EXPECT_THAT(NewSigner("vault", {}).status().message(), HasSubstr("known: cacerts, self-signed"));
}

}  // namespace
}  // namespace keel::mtls
