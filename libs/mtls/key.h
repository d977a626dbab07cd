// Private keys: ECDSA P-256 (the default, as Istio's) or RSA 2048/3072/4096,
// generated, read and written as PKCS#8 PEM. OpenSSL 3's EVP API only.
#ifndef KEEL_LIBS_MTLS_KEY_H_
#define KEEL_LIBS_MTLS_KEY_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "libs/mtls/openssl_util.h"

namespace keel::mtls {

enum class KeyType { kEcdsaP256, kRsa2048, kRsa3072, kRsa4096 };

// ParseKeyType reads "ECDSA-P256" (or "EC"), "RSA-2048", "RSA-3072", "RSA-4096".
absl::StatusOr<KeyType> ParseKeyType(absl::string_view name);

// PublicKeyInfo describes a public key: "ECDSA P-256", "RSA 2048", ...
struct PublicKeyInfo {
  std::string algorithm;  // "ECDSA" or "RSA", or what OpenSSL calls another
  std::string curve;      // ECDSA only: "P-256", ...
  int bits = 0;
  std::string Describe() const;
};

// Describe returns the description of an OpenSSL public (or private) key.
PublicKeyInfo DescribeKey(const EVP_PKEY* key);

// PublicKey is a SubjectPublicKeyInfo as it travels (in a CSR, a
// certificate): what a certificate is issued for.
class PublicKey {
 public:
  PublicKey(const PublicKey& other);
  PublicKey& operator=(const PublicKey& other);
  PublicKey(PublicKey&&) = default;
  PublicKey& operator=(PublicKey&&) = default;

  // Copy copies `info` as it is (no re-encoding).
  static absl::StatusOr<PublicKey> Copy(const X509_PUBKEY* info);
  // FromDer reads a DER SubjectPublicKeyInfo as it is, without decoding the
  // key (OpenSSL 3.0's decoders cost more than the signature on it).
  static absl::StatusOr<PublicKey> FromDer(absl::string_view der);
  PublicKeyInfo Info() const;
  const X509_PUBKEY* get() const { return info_.get(); }

 private:
  explicit PublicKey(internal::Owned<X509_PUBKEY> info) : info_(std::move(info)) {}
  friend class PrivateKey;
  internal::Owned<X509_PUBKEY> info_;
};

class PrivateKey {
 public:
  static absl::StatusOr<PrivateKey> Generate(KeyType type = KeyType::kEcdsaP256);
  // FromPem reads a PEM private key (PKCS#8, or the traditional EC/RSA forms
  // Istio's cacerts may hold). InvalidArgument names what is wrong.
  static absl::StatusOr<PrivateKey> FromPem(absl::string_view pem);

  std::string ToPem() const;  // PKCS#8, unencrypted: write it 0600
  PublicKeyInfo Info() const { return DescribeKey(key_.get()); }
  absl::StatusOr<PublicKey> Public() const;
  EVP_PKEY* get() const { return key_.get(); }

 private:
  explicit PrivateKey(internal::Owned<EVP_PKEY> key) : key_(std::move(key)) {}
  internal::Owned<EVP_PKEY> key_;
};

}  // namespace keel::mtls

#endif  // KEEL_LIBS_MTLS_KEY_H_
