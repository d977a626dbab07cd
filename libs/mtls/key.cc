#include "libs/mtls/key.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/mtls/der.h"

namespace keel::mtls {

using internal::Owned;

absl::StatusOr<KeyType> ParseKeyType(absl::string_view name) {
  const std::string upper = absl::AsciiStrToUpper(name);
  if (upper == "EC" || upper == "ECDSA" || upper == "ECDSA-P256" || upper == "P256") {
    return KeyType::kEcdsaP256;
  }
  if (upper == "RSA-2048" || upper == "RSA") return KeyType::kRsa2048;
  if (upper == "RSA-3072") return KeyType::kRsa3072;
  if (upper == "RSA-4096") return KeyType::kRsa4096;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown key type \"", name, "\" (want ECDSA-P256, RSA-2048, RSA-3072 or RSA-4096)"));
}

std::string PublicKeyInfo::Describe() const {
  if (!curve.empty()) return absl::StrCat(algorithm, " ", curve);
  return absl::StrCat(algorithm, " ", bits);
}

PublicKeyInfo DescribeKey(const EVP_PKEY* key) {
  PublicKeyInfo info;
  if (key == nullptr) return info;
  info.bits = EVP_PKEY_get_bits(key);
  if (EVP_PKEY_is_a(key, "EC")) {
    info.algorithm = "ECDSA";
    char group[64] = {0};
    size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &length) == 1) {
      const std::string name(group, length);
      info.curve = name == "prime256v1"  ? "P-256"
                   : name == "secp384r1" ? "P-384"
                   : name == "secp521r1" ? "P-521"
                                         : name;
    }
  } else if (EVP_PKEY_is_a(key, "RSA")) {
    info.algorithm = "RSA";
  } else {
    const char* name = EVP_PKEY_get0_type_name(key);
    info.algorithm = name != nullptr ? name : "unknown";
  }
  return info;
}

absl::StatusOr<PrivateKey> PrivateKey::Generate(KeyType type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case KeyType::kEcdsaP256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyType::kRsa2048:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
      break;
    case KeyType::kRsa3072:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{3072});
      break;
    case KeyType::kRsa4096:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{4096});
      break;
  }
  if (key == nullptr) return internal::Error(absl::StatusCode::kInternal, "generating a key");
  return PrivateKey(Owned<EVP_PKEY>(key));
}

absl::StatusOr<PrivateKey> PrivateKey::FromPem(absl::string_view pem) {
  Owned<BIO> bio = internal::MemoryBio(pem);
  // No passphrase callback: an encrypted key is an error, never a prompt.
  EVP_PKEY* key = PEM_read_bio_PrivateKey(
      bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
  if (key == nullptr) {
    return internal::Error(absl::StatusCode::kInvalidArgument,
                           "not a PEM private key (unencrypted PKCS#8, EC or RSA)");
  }
  return PrivateKey(Owned<EVP_PKEY>(key));
}

PublicKey::PublicKey(const PublicKey& other) : info_(X509_PUBKEY_new()) {
  (void)internal::CopyPublicKeyInfo(other.info_.get(), info_.get());
}

PublicKey& PublicKey::operator=(const PublicKey& other) {
  if (this != &other) *this = PublicKey(other);
  return *this;
}

absl::StatusOr<PublicKey> PublicKey::FromDer(absl::string_view encoding) {
  der::Reader outer(encoding);
  KEEL_ASSIGN_OR_RETURN(der::Element info, outer.Next(der::kSequence, "public key"));
  der::Reader fields(info.contents);
  KEEL_ASSIGN_OR_RETURN(der::Element algorithm,
                        fields.Next(der::kSequence, "public key algorithm"));
  KEEL_ASSIGN_OR_RETURN(der::Element bits, fields.Next(der::kBitString, "public key bits"));
  KEEL_ASSIGN_OR_RETURN(absl::string_view key_bytes, der::BitStringBytes(bits, "public key bits"));
  der::Reader algorithm_fields(algorithm.contents);
  KEEL_ASSIGN_OR_RETURN(der::Element oid,
                        algorithm_fields.Next(der::kObjectIdentifier, "public key algorithm"));
  auto object_from = [](absl::string_view tlv) {
    const unsigned char* cursor = reinterpret_cast<const unsigned char*>(tlv.data());
    return d2i_ASN1_OBJECT(nullptr, &cursor, static_cast<long>(tlv.size()));
  };
  Owned<ASN1_OBJECT> algorithm_object(object_from(oid.encoding));
  if (algorithm_object == nullptr) {
    return internal::Error(absl::StatusCode::kInvalidArgument, "public key algorithm");
  }
  int parameter_type = V_ASN1_UNDEF;
  void* parameter = nullptr;
  if (!algorithm_fields.empty()) {
    KEEL_ASSIGN_OR_RETURN(der::Element parameters, algorithm_fields.NextAny("key parameters"));
    if (parameters.tag == der::kObjectIdentifier) {
      parameter_type = V_ASN1_OBJECT;
      parameter = object_from(parameters.encoding);
    } else if (parameters.tag == der::kNull && parameters.contents.empty()) {
      parameter_type = V_ASN1_NULL;
    } else if (parameters.tag == der::kSequence) {
      parameter_type = V_ASN1_SEQUENCE;
      ASN1_STRING* sequence = ASN1_STRING_new();
      if (sequence != nullptr &&
          ASN1_STRING_set(sequence, parameters.encoding.data(),
                          static_cast<int>(parameters.encoding.size())) != 1) {
        ASN1_STRING_free(sequence);
        sequence = nullptr;
      }
      parameter = sequence;
    } else {
      return absl::InvalidArgumentError("key parameters: unsupported encoding");
    }
    if (parameter == nullptr && parameter_type != V_ASN1_NULL) {
      return internal::Error(absl::StatusCode::kInvalidArgument, "key parameters");
    }
  }
  auto free_parameter = [&] {
    if (parameter_type == V_ASN1_OBJECT) ASN1_OBJECT_free(static_cast<ASN1_OBJECT*>(parameter));
    if (parameter_type == V_ASN1_SEQUENCE) ASN1_STRING_free(static_cast<ASN1_STRING*>(parameter));
  };
  if (!algorithm_fields.empty() || !fields.empty() || !outer.empty()) {
    free_parameter();
    return absl::InvalidArgumentError("public key: trailing data");
  }
  Owned<X509_PUBKEY> out(X509_PUBKEY_new());
  unsigned char* bits_copy =
      static_cast<unsigned char*>(OPENSSL_memdup(key_bytes.data(), key_bytes.size()));
  if (out == nullptr || (bits_copy == nullptr && !key_bytes.empty()) ||
      X509_PUBKEY_set0_param(out.get(), algorithm_object.get(), parameter_type, parameter,
                             bits_copy, static_cast<int>(key_bytes.size())) != 1) {
    free_parameter();
    OPENSSL_free(bits_copy);
    return internal::Error(absl::StatusCode::kInternal, "copying a public key");
  }
  algorithm_object.release();  // X509_PUBKEY_set0_param took it
  return PublicKey(std::move(out));
}

absl::StatusOr<PublicKey> PublicKey::Copy(const X509_PUBKEY* info) {
  Owned<X509_PUBKEY> copy(X509_PUBKEY_new());
  if (absl::Status copied = internal::CopyPublicKeyInfo(info, copy.get()); !copied.ok()) {
    return copied;
  }
  return PublicKey(std::move(copy));
}

PublicKeyInfo PublicKey::Info() const {
  // Decoding the key (slow in OpenSSL 3.0) only to describe it. A key info
  // built from its parts holds no decoded key (X509_PUBKEY_get0 gives none),
  // so it is decoded from its encoding.
  unsigned char* encoding = nullptr;
  const int length = i2d_X509_PUBKEY(info_.get(), &encoding);
  if (length <= 0) return PublicKeyInfo{};
  const unsigned char* cursor = encoding;
  Owned<EVP_PKEY> key(d2i_PUBKEY(nullptr, &cursor, length));
  OPENSSL_free(encoding);
  return DescribeKey(key.get());
}

absl::StatusOr<PublicKey> PrivateKey::Public() const {
  X509_PUBKEY* info = nullptr;
  if (X509_PUBKEY_set(&info, key_.get()) != 1) {
    return internal::Error(absl::StatusCode::kInternal, "encoding a public key");
  }
  return PublicKey(Owned<X509_PUBKEY>(info));
}

std::string PrivateKey::ToPem() const {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return internal::BioText(bio.get());
}

}  // namespace keel::mtls
