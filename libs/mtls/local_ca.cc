#include "libs/mtls/local_ca.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/common/files.h"

namespace keel::mtls {
namespace {

constexpr char kKeyFile[] = "ca-key.pem";
constexpr char kCertFile[] = "ca-cert.pem";
constexpr char kRootFile[] = "root-cert.pem";
constexpr char kChainFile[] = "cert-chain.pem";
constexpr char kTrustedRootsFile[] = "trusted-roots.pem";

std::string Get(const SignerConfig& config, const std::string& key, const std::string& fallback) {
  auto it = config.find(key);
  return it == config.end() || it->second.empty() ? fallback : it->second;
}

absl::StatusOr<absl::Duration> GetDuration(const SignerConfig& config, const std::string& key,
                                           absl::Duration fallback) {
  auto it = config.find(key);
  if (it == config.end() || it->second.empty()) return fallback;
  absl::Duration value;
  if (!absl::ParseDuration(it->second, &value) || value <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": \"", it->second, "\" is not a positive duration (e.g. 24h)"));
  }
  return value;
}

// Errors that name the file.
absl::Status InFile(const std::string& path, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
}

class LocalCa : public CertificateSigner {
 public:
  LocalCa(std::string dir, bool owns_root, absl::Duration backdate, std::string trust_domain,
          absl::Duration root_ttl, PrivateKey key, Certificate signing,
          std::vector<Certificate> chain_above, std::vector<Certificate> roots)
      : dir_(std::move(dir)),
        owns_root_(owns_root),
        backdate_(backdate),
        trust_domain_(std::move(trust_domain)),
        root_ttl_(root_ttl),
        key_(std::move(key)),
        signing_(std::move(signing)),
        chain_above_(std::move(chain_above)),
        roots_(std::move(roots)) {}

  absl::StatusOr<std::vector<Certificate>> Sign(const SignRequest& request) override {
    if (!request.public_key.has_value()) return absl::InvalidArgumentError("no public key");
    const absl::Time now = absl::Now();
    absl::ReaderMutexLock lock(&mu_);
    CertificateTemplate what{.uri_sans = request.uri_sans,
                             .dns_sans = request.dns_sans,
                             .ip_sans = request.ip_sans,
                             .not_before = now - backdate_,
                             .not_after = now + request.ttl};
    absl::StatusOr<Certificate> leaf = Issuer(key_, signing_).Sign(*request.public_key, what);
    if (!leaf.ok()) return leaf.status();
    std::vector<Certificate> chain;
    chain.push_back(*std::move(leaf));
    chain.push_back(signing_);
    for (const Certificate& above : chain_above_) chain.push_back(above);
    return chain;
  }

  std::vector<Certificate> Roots() const override {
    absl::ReaderMutexLock lock(&mu_);
    std::vector<Certificate> out;
    for (const Certificate& root : roots_) out.push_back(root);
    return out;
  }

  Certificate SigningCertificate() const override {
    absl::ReaderMutexLock lock(&mu_);
    return signing_;
  }

  absl::Status RotateRoot() override {
    if (!owns_root_) {
      return absl::FailedPreconditionError(
          "a plugged-in CA (cacerts) is rotated by its owner: replace the files");
    }
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    absl::StatusOr<Certificate> root = SelfSignedRoot(
        key_, RootOptions{.organization = trust_domain_,
                          .not_before = now - backdate_,
                          .not_after = now + root_ttl_});
    if (!root.ok()) return root.status();
    std::vector<Certificate> trusted;
    trusted.push_back(*root);
    for (const Certificate& old : roots_) trusted.push_back(old);
    if (absl::Status saved = Save(*root, trusted); !saved.ok()) return saved;
    signing_ = *std::move(root);
    roots_ = std::move(trusted);
    return absl::OkStatus();
  }

  absl::Status RetireOldRoots() override {
    if (!owns_root_) return absl::FailedPreconditionError("a plugged-in CA's roots are its owner's");
    absl::MutexLock lock(&mu_);
    std::vector<Certificate> trusted;
    trusted.push_back(signing_);
    if (absl::Status saved = Save(signing_, trusted); !saved.ok()) return saved;
    roots_ = std::move(trusted);
    return absl::OkStatus();
  }

  // Save writes the self-signed CA's files: the key first, the trusted
  // roots before the root that starts signing, so a crash between files
  // leaves a CA whose roots still verify what it signs.
  absl::Status Save(const Certificate& root, const std::vector<Certificate>& trusted) const {
    for (auto [name, content, mode] : std::vector<std::tuple<const char*, std::string, mode_t>>{
             {kKeyFile, key_.ToPem(), 0600},
             {kTrustedRootsFile, ChainToPem(trusted), 0644},
             {kRootFile, root.ToPem(), 0644},
             {kCertFile, root.ToPem(), 0644},
             {kChainFile, root.ToPem(), 0644}}) {
      const std::string path = absl::StrCat(dir_, "/", name);
      if (absl::Status written = WriteFileAtomically(path, content, mode); !written.ok()) {
        return written;
      }
    }
    return absl::OkStatus();
  }

 private:
  const std::string dir_;
  const bool owns_root_;
  const absl::Duration backdate_;
  const std::string trust_domain_;
  const absl::Duration root_ttl_;
  const PrivateKey key_;
  mutable absl::Mutex mu_;
  Certificate signing_ ABSL_GUARDED_BY(mu_);
  const std::vector<Certificate> chain_above_;  // from the signing cert's issuer up to the root
  std::vector<Certificate> roots_ ABSL_GUARDED_BY(mu_);
};

struct CommonConfig {
  std::string dir;
  std::string trust_domain;
  absl::Duration backdate;
  absl::Duration root_ttl;
};

absl::StatusOr<CommonConfig> ReadCommon(const SignerConfig& config) {
  CommonConfig common;
  common.dir = Get(config, "dir", "");
  if (common.dir.empty()) return absl::InvalidArgumentError("the CA needs a folder (dir)");
  common.trust_domain = Get(config, "trust_domain", "cluster.local");
  absl::StatusOr<absl::Duration> backdate = GetDuration(config, "backdate", absl::Minutes(5));
  if (!backdate.ok()) return backdate.status();
  common.backdate = *backdate;
  absl::StatusOr<absl::Duration> root_ttl = GetDuration(config, "root_ttl", absl::Hours(87600));
  if (!root_ttl.ok()) return root_ttl.status();
  common.root_ttl = *root_ttl;
  return common;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CertificateSigner>> NewSelfSignedCa(const SignerConfig& config) {
  absl::StatusOr<CommonConfig> common = ReadCommon(config);
  if (!common.ok()) return common.status();
  const std::string key_path = absl::StrCat(common->dir, "/", kKeyFile);
  const std::string root_path = absl::StrCat(common->dir, "/", kRootFile);
  const std::string trusted_path = absl::StrCat(common->dir, "/", kTrustedRootsFile);
  std::error_code error;
  std::filesystem::create_directories(common->dir, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat(common->dir, ": cannot create the CA folder: ", error.message()));
  }
  if (!std::filesystem::exists(key_path)) {
    // First start: a new key and root, written before anything is signed.
    absl::StatusOr<PrivateKey> key = PrivateKey::Generate(KeyType::kEcdsaP256);
    if (!key.ok()) return key.status();
    const absl::Time now = absl::Now();
    absl::StatusOr<Certificate> root = SelfSignedRoot(
        *key, RootOptions{.organization = common->trust_domain,
                          .not_before = now - common->backdate,
                          .not_after = now + common->root_ttl});
    if (!root.ok()) return root.status();
    std::vector<Certificate> trusted;
    trusted.push_back(*root);
    auto ca = std::make_unique<LocalCa>(common->dir, true, common->backdate, common->trust_domain,
                                        common->root_ttl, *std::move(key), *root,
                                        std::vector<Certificate>{}, std::move(trusted));
    std::vector<Certificate> roots = ca->Roots();
    if (absl::Status saved = ca->Save(*root, roots); !saved.ok()) return saved;
    return ca;
  }
  absl::StatusOr<std::string> key_pem = ReadWholeFile(key_path);
  if (!key_pem.ok()) return key_pem.status();
  absl::StatusOr<PrivateKey> key = PrivateKey::FromPem(*key_pem);
  if (!key.ok()) return InFile(key_path, key.status());
  absl::StatusOr<std::string> root_pem = ReadWholeFile(root_path);
  if (!root_pem.ok()) return root_pem.status();
  absl::StatusOr<Certificate> root = Certificate::FromPem(*root_pem);
  if (!root.ok()) return InFile(root_path, root.status());
  if (!root->MatchesKey(*key)) {
    return absl::FailedPreconditionError(
        absl::StrCat(root_path, ": does not belong to ", key_path));
  }
  std::vector<Certificate> trusted;
  if (absl::StatusOr<std::string> bundle = ReadWholeFile(trusted_path); bundle.ok()) {
    absl::StatusOr<std::vector<Certificate>> roots = Certificate::ChainFromPem(*bundle);
    if (!roots.ok()) return InFile(trusted_path, roots.status());
    trusted = *std::move(roots);
  }
  bool root_trusted = false;
  for (const Certificate& cert : trusted) root_trusted |= cert.SameAs(*root);
  if (!root_trusted) trusted.insert(trusted.begin(), *root);
  return std::make_unique<LocalCa>(common->dir, true, common->backdate, common->trust_domain,
                                   common->root_ttl, *std::move(key), *std::move(root),
                                   std::vector<Certificate>{}, std::move(trusted));
}

absl::StatusOr<std::unique_ptr<CertificateSigner>> NewPluggedInCa(const SignerConfig& config) {
  absl::StatusOr<CommonConfig> common = ReadCommon(config);
  if (!common.ok()) return common.status();
  auto read = [&](const char* name) -> absl::StatusOr<std::string> {
    return ReadWholeFile(absl::StrCat(common->dir, "/", name));
  };
  auto path = [&](const char* name) { return absl::StrCat(common->dir, "/", name); };
  absl::StatusOr<std::string> key_pem = read(kKeyFile);
  absl::StatusOr<std::string> cert_pem = read(kCertFile);
  absl::StatusOr<std::string> root_pem = read(kRootFile);
  absl::StatusOr<std::string> chain_pem = read(kChainFile);
  for (const auto* status : {&key_pem, &cert_pem, &root_pem}) {
    if (!status->ok()) return status->status();
  }
  absl::StatusOr<PrivateKey> key = PrivateKey::FromPem(*key_pem);
  if (!key.ok()) return InFile(path(kKeyFile), key.status());
  absl::StatusOr<Certificate> cert = Certificate::FromPem(*cert_pem);
  if (!cert.ok()) return InFile(path(kCertFile), cert.status());
  absl::StatusOr<std::vector<Certificate>> roots = Certificate::ChainFromPem(*root_pem);
  if (!roots.ok()) return InFile(path(kRootFile), roots.status());
  if (!cert->MatchesKey(*key)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path(kCertFile), ": does not belong to ", path(kKeyFile)));
  }
  if (!cert->IsCa()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path(kCertFile), ": is not a CA certificate (basicConstraints CA:TRUE)"));
  }
  // cert-chain.pem leads from ca-cert to the root; Istio's own files
  // sometimes repeat ca-cert or the root in it: both are dropped here.
  std::vector<Certificate> above;
  if (chain_pem.ok()) {
    absl::StatusOr<std::vector<Certificate>> chain = Certificate::ChainFromPem(*chain_pem);
    if (!chain.ok()) return InFile(path(kChainFile), chain.status());
    for (Certificate& link : *chain) {
      if (link.SameAs(*cert)) continue;
      above.push_back(std::move(link));
    }
  }
  bool ends_at_root = false;
  for (const Certificate& root : *roots) {
    ends_at_root |= !above.empty() && above.back().SameAs(root);
  }
  if (!ends_at_root && !cert->SameAs(roots->front())) above.push_back(roots->front());
  std::vector<Certificate> to_verify;
  to_verify.push_back(*cert);
  for (const Certificate& link : above) to_verify.push_back(link);
  if (absl::Status verified = VerifyChain(to_verify, *roots); !verified.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        path(kCertFile), " does not lead to ", path(kRootFile), ": ", verified.message()));
  }
  // The response chain ends with the root: drop it from `above` when the
  // signing cert is itself the root.
  return std::make_unique<LocalCa>(common->dir, false, common->backdate, common->trust_domain,
                                   common->root_ttl, *std::move(key), *std::move(cert),
                                   std::move(above), *std::move(roots));
}

KEEL_REGISTER_SIGNER("self-signed", NewSelfSignedCa);
KEEL_REGISTER_SIGNER("cacerts", NewPluggedInCa);

}  // namespace keel::mtls
