// X.509 certificates and certificate requests (PEM), signing and chain
// verification. OpenSSL 3's EVP API only.
#ifndef KEEL_LIBS_MTLS_CERTIFICATE_H_
#define KEEL_LIBS_MTLS_CERTIFICATE_H_

#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/mtls/key.h"
#include "libs/mtls/openssl_util.h"

namespace keel::mtls {

// Certificate is immutable; copies share one reference-counted OpenSSL object.
class Certificate {
 public:
  Certificate(const Certificate& other) : cert_(Share(other.cert_.get())) {}
  Certificate& operator=(const Certificate& other) {
    if (this != &other) cert_ = Share(other.cert_.get());
    return *this;
  }
  Certificate(Certificate&&) = default;
  Certificate& operator=(Certificate&&) = default;

  // FromPem reads exactly one PEM certificate.
  static absl::StatusOr<Certificate> FromPem(absl::string_view pem);
  // ChainFromPem reads every certificate in `pem`, in order; at least one.
  static absl::StatusOr<std::vector<Certificate>> ChainFromPem(absl::string_view pem);

  std::string ToPem() const;
  absl::Time NotBefore() const;
  absl::Time NotAfter() const;
  std::vector<std::string> UriSans() const;
  std::string SubjectText() const;  // "O=cluster.local, CN=..." (RFC 2253 order)
  std::string SerialHex() const;
  bool IsCa() const;
  PublicKeyInfo KeyInfo() const;
  // MatchesKey: the certificate's public key is `key`'s.
  bool MatchesKey(const PrivateKey& key) const;
  bool SameAs(const Certificate& other) const;

  X509* get() const { return cert_.get(); }
  // Adopt takes ownership of an OpenSSL certificate.
  static Certificate Adopt(internal::Owned<X509> cert) { return Certificate(std::move(cert)); }

 private:
  explicit Certificate(internal::Owned<X509> cert) : cert_(std::move(cert)) {}
  static internal::Owned<X509> Share(X509* cert) {
    X509_up_ref(cert);
    return internal::Owned<X509>(cert);
  }
  internal::Owned<X509> cert_;
};

// CertificateRequest is a PKCS#10 request whose self-signature has been
// checked. The key types Citadel signs (ECDSA P-256/P-384, RSA) are read and
// checked without OpenSSL's decoder framework; others go through OpenSSL's
// generic path, so they are described (and refused) by name.
class CertificateRequest {
 public:
  struct Options {
    std::vector<std::string> uri_sans;  // e.g. the workload's SPIFFE id
    std::string organization;           // subject O (Istio puts the trust domain)
  };
  // Build signs a CSR with `key`.
  static absl::StatusOr<CertificateRequest> Build(const PrivateKey& key, const Options& options);
  // FromPem reads one PEM CSR and checks its self-signature: InvalidArgument
  // naming what is wrong otherwise.
  static absl::StatusOr<CertificateRequest> FromPem(absl::string_view pem);
  // FromDer is FromPem for the DER encoding.
  static absl::StatusOr<CertificateRequest> FromDer(absl::string_view der);

  std::string ToPem() const;
  // UriSans are the URIs of every subjectAltName the request asks for.
  const std::vector<std::string>& UriSans() const { return uri_sans_; }
  PublicKeyInfo KeyInfo() const { return DescribeKey(key_.get()); }
  // PublicKey is the key the request is for, as the request carries it.
  absl::StatusOr<mtls::PublicKey> PublicKey() const;

 private:
  CertificateRequest() = default;
  std::string der_;
  // Where der_ holds the SubjectPublicKeyInfo (offsets survive moves).
  size_t key_info_offset_ = 0;
  size_t key_info_size_ = 0;
  std::vector<std::string> uri_sans_;
  internal::Owned<EVP_PKEY> key_;
};

// What a signed certificate says, whatever signs it.
struct CertificateTemplate {
  std::vector<std::string> uri_sans;
  std::vector<std::string> dns_sans;  // servers reached by name (Citadel itself)
  std::vector<std::string> ip_sans;
  std::string organization;
  std::string common_name;
  absl::Time not_before;
  absl::Time not_after;
  bool is_ca = false;  // a CA may sign leaves (path length 0 below a root's)
};

// Issuer signs certificates with a CA key and certificate.
class Issuer {
 public:
  Issuer(const PrivateKey& key, const Certificate& cert) : key_(key), cert_(cert) {}
  // Sign issues a certificate for `subject_key` (a public key) as
  // `what` says: a random 128-bit serial, SHA-256, subject and authority key
  // ids, key usage and extended key usage (server and client auth) for leaves.
  // NotAfter is capped at the issuer's own.
  absl::StatusOr<Certificate> Sign(const PublicKey& subject_key,
                                   const CertificateTemplate& what) const;

 private:
  const PrivateKey& key_;
  const Certificate& cert_;
};

struct RootOptions {
  std::string organization;
  std::string common_name = "Keel root CA";
  absl::Time not_before;
  absl::Time not_after;
};
// SelfSignedRoot makes a root certificate for `key`. Reusing a key makes a
// root that verifies what the old one signed (rotation without re-issuing).
absl::StatusOr<Certificate> SelfSignedRoot(const PrivateKey& key, const RootOptions& options);

// VerifyChain checks that `chain` (leaf first, then intermediates) leads to
// one of `roots`, at time `at`. The error says why not.
absl::Status VerifyChain(const std::vector<Certificate>& chain, const std::vector<Certificate>& roots,
                         absl::Time at = absl::Now());

// ChainToPem concatenates PEM certificates.
std::string ChainToPem(const std::vector<Certificate>& chain);

}  // namespace keel::mtls

#endif  // KEEL_LIBS_MTLS_CERTIFICATE_H_
