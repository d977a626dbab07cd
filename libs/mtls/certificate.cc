#include "libs/mtls/certificate.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509_vfy.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/status_macros.h"
#include "libs/mtls/der.h"

namespace keel::mtls {

using internal::Owned;

namespace {

absl::Time FromAsn1(const ASN1_TIME* time) {
  struct tm parts = {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return absl::InfinitePast();
  return absl::FromTM(parts, absl::UTCTimeZone());
}

std::vector<std::string> UrisOf(const GENERAL_NAMES* names) {
  std::vector<std::string> out;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                     static_cast<size_t>(ASN1_STRING_length(uri)));
  }
  return out;
}

// SanExtension builds a subjectAltName extension of URIs, DNS names and IP
// addresses. Critical when the subject is empty, as RFC 5280 asks (Istio's
// leaves have no subject).
absl::StatusOr<Owned<X509_EXTENSION>> SanExtension(const std::vector<std::string>& uris,
                                                   const std::vector<std::string>& dns_names,
                                                   const std::vector<std::string>& ips,
                                                   bool critical) {
  Owned<GENERAL_NAMES> names(GENERAL_NAMES_new());
  auto add_text = [&](int type, const std::string& text) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    ASN1_IA5STRING* value = ASN1_IA5STRING_new();
    if (name == nullptr || value == nullptr ||
        ASN1_STRING_set(value, text.data(), static_cast<int>(text.size())) != 1) {
      GENERAL_NAME_free(name);
      ASN1_IA5STRING_free(value);
      return false;
    }
    GENERAL_NAME_set0_value(name, type, value);
    sk_GENERAL_NAME_push(names.get(), name);
    return true;
  };
  for (const std::string& uri : uris) {
    if (!add_text(GEN_URI, uri)) return internal::Error(absl::StatusCode::kInternal, "URI SAN");
  }
  for (const std::string& dns : dns_names) {
    if (!add_text(GEN_DNS, dns)) return internal::Error(absl::StatusCode::kInternal, "DNS SAN");
  }
  for (const std::string& ip : ips) {
    ASN1_OCTET_STRING* address = a2i_IPADDRESS(ip.c_str());
    if (address == nullptr) {
      ERR_clear_error();
      return absl::InvalidArgumentError(absl::StrCat("\"", ip, "\" is not an IP address"));
    }
    GENERAL_NAME* name = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(name, GEN_IPADD, address);
    sk_GENERAL_NAME_push(names.get(), name);
  }
  X509_EXTENSION* extension = X509V3_EXT_i2d(NID_subject_alt_name, critical ? 1 : 0, names.get());
  if (extension == nullptr) {
    return internal::Error(absl::StatusCode::kInternal, "encoding the SAN extension");
  }
  return Owned<X509_EXTENSION>(extension);
}

absl::StatusOr<Owned<X509_NAME>> Name(const std::string& organization,
                                      const std::string& common_name) {
  Owned<X509_NAME> name(X509_NAME_new());
  auto add = [&](const char* field, const std::string& value) {
    return value.empty() ||
           X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  if (!add("O", organization) || !add("CN", common_name)) {
    return internal::Error(absl::StatusCode::kInvalidArgument, "building a subject name");
  }
  return name;
}

// AddExtension adds an extension given in OpenSSL's config syntax.
absl::Status AddExtension(X509* cert, X509V3_CTX* context, int nid, const char* value) {
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, context, nid, value);
  if (extension == nullptr) {
    return internal::Error(absl::StatusCode::kInternal, absl::StrCat("extension ", value));
  }
  const int added = X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  return added == 1 ? absl::OkStatus()
                    : internal::Error(absl::StatusCode::kInternal, "adding an extension");
}

// AddEncodedExtension adds an extension whose value is the DER `value`.
absl::Status AddEncodedExtension(X509* cert, int nid, bool critical, absl::string_view value) {
  ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
  X509_EXTENSION* extension = nullptr;
  if (data != nullptr &&
      ASN1_OCTET_STRING_set(data, reinterpret_cast<const unsigned char*>(value.data()),
                            static_cast<int>(value.size())) == 1) {
    extension = X509_EXTENSION_create_by_NID(nullptr, nid, critical ? 1 : 0, data);
  }
  ASN1_OCTET_STRING_free(data);
  const int added = extension != nullptr ? X509_add_ext(cert, extension, -1) : 0;
  X509_EXTENSION_free(extension);
  return added == 1 ? absl::OkStatus()
                    : internal::Error(absl::StatusCode::kInternal, "adding an extension");
}

// KeyIdentifier is RFC 5280's method (1): the SHA-1 of the key's bits.
absl::StatusOr<std::string> KeyIdentifier(const X509_PUBKEY* key) {
  const unsigned char* bits = nullptr;
  int length = 0;
  if (X509_PUBKEY_get0_param(nullptr, &bits, &length, nullptr, key) != 1) {
    return internal::Error(absl::StatusCode::kInvalidArgument, "reading a public key");
  }
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  if (sha1 == nullptr || EVP_Digest(bits, length, digest, &digest_length, sha1, nullptr) != 1) {
    return internal::Error(absl::StatusCode::kInternal, "hashing a public key");
  }
  return std::string(reinterpret_cast<char*>(digest), digest_length);
}

// Short DER (length < 128) of one element.
std::string Tlv(uint8_t tag, absl::string_view contents) {
  return absl::StrCat(std::string(1, static_cast<char>(tag)),
                      std::string(1, static_cast<char>(contents.size())), contents);
}

// AddStandardExtensions adds what every certificate Keel issues carries:
// basic constraints, key usage, subject and authority key ids, and for a
// leaf server and client auth. They are encoded here, not parsed from
// OpenSSL's config syntax, which cost Citadel more than the signature.
absl::Status AddStandardExtensions(X509* cert, X509* issuer, const PublicKey& subject_key,
                                   bool is_ca) {
  // BasicConstraints: CA:TRUE, pathlen 0 / CA:FALSE (an empty SEQUENCE).
  const absl::string_view basic_constraints =
      is_ca ? absl::string_view("\x30\x06\x01\x01\xff\x02\x01\x00", 8)
            : absl::string_view("\x30\x00", 2);
  // KeyUsage bits: keyCertSign and cRLSign / digitalSignature and keyEncipherment.
  const absl::string_view key_usage =
      absl::string_view(is_ca ? "\x03\x02\x01\x06" : "\x03\x02\x05\xa0", 4);
  absl::StatusOr<std::string> subject_id = KeyIdentifier(subject_key.get());
  if (!subject_id.ok()) return subject_id.status();
  // The authority's key id is the issuer's own subject key id (a self-signed
  // root's is its own key's).
  std::string authority_id;
  if (const ASN1_OCTET_STRING* id = X509_get0_subject_key_id(issuer); id != nullptr) {
    authority_id.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(id)),
                        static_cast<size_t>(ASN1_STRING_length(id)));
  } else {
    absl::StatusOr<std::string> computed = KeyIdentifier(X509_get_X509_PUBKEY(issuer));
    if (!computed.ok()) return computed.status();
    authority_id = *std::move(computed);
  }
  if (subject_id->size() > 64 || authority_id.size() > 64) {
    return absl::InternalError("key identifier too long");
  }
  for (absl::Status added : {
           AddEncodedExtension(cert, NID_basic_constraints, true, basic_constraints),
           AddEncodedExtension(cert, NID_key_usage, true, key_usage),
           AddEncodedExtension(cert, NID_subject_key_identifier, false,
                               Tlv(der::kOctetString, *subject_id)),
           // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] ... }
           AddEncodedExtension(cert, NID_authority_key_identifier, false,
                               Tlv(der::kSequence, Tlv(0x80, authority_id))),
       }) {
    if (!added.ok()) return added;
  }
  if (!is_ca) {
    // ExtendedKeyUsage: id-kp-serverAuth, id-kp-clientAuth.
    return AddEncodedExtension(cert, NID_ext_key_usage, false,
                               absl::string_view("\x30\x14\x06\x08\x2b\x06\x01\x05\x05\x07\x03\x01"
                                                 "\x06\x08\x2b\x06\x01\x05\x05\x07\x03\x02",
                                                 22));
  }
  return absl::OkStatus();
}

absl::Status SetValidity(X509* cert, absl::Time not_before, absl::Time not_after) {
  if (not_after <= not_before) {
    return absl::InvalidArgumentError("certificate would expire before it is valid");
  }
  if (ASN1_TIME_set(X509_getm_notBefore(cert), absl::ToTimeT(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), absl::ToTimeT(not_after)) == nullptr) {
    return internal::Error(absl::StatusCode::kInternal, "setting validity");
  }
  return absl::OkStatus();
}

absl::Status SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return internal::Error(absl::StatusCode::kInternal, "random serial");
  }
  bytes[0] &= 0x7f;  // positive, as RFC 5280 asks
  Owned<BIGNUM> number(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  if (number == nullptr ||
      BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(cert)) == nullptr) {
    return internal::Error(absl::StatusCode::kInternal, "setting the serial");
  }
  return absl::OkStatus();
}

// Decoded returns `cert` with its public key decoded. Issuer::Sign copies the
// subject's key bits without decoding them (OpenSSL 3.0's decoder is slow),
// so a certificate it made carries no EVP_PKEY until read back from DER;
// only in-process checks (key match, chain verification) need one.
Owned<X509> Decoded(X509* cert) {
  if (X509_PUBKEY_get0(X509_get_X509_PUBKEY(cert)) != nullptr) {
    X509_up_ref(cert);
    return Owned<X509>(cert);
  }
  ERR_clear_error();
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert, &der);
  const unsigned char* cursor = der;
  X509* decoded = length > 0 ? d2i_X509(nullptr, &cursor, length) : nullptr;
  OPENSSL_free(der);
  if (decoded == nullptr) {
    X509_up_ref(cert);
    return Owned<X509>(cert);
  }
  return Owned<X509>(decoded);
}

}  // namespace

absl::StatusOr<Certificate> Certificate::FromPem(absl::string_view pem) {
  Owned<BIO> bio = internal::MemoryBio(pem);
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (cert == nullptr) {
    return internal::Error(absl::StatusCode::kInvalidArgument, "not a PEM certificate");
  }
  return Certificate(Owned<X509>(cert));
}

absl::StatusOr<std::vector<Certificate>> Certificate::ChainFromPem(absl::string_view pem) {
  Owned<BIO> bio = internal::MemoryBio(pem);
  std::vector<Certificate> chain;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    chain.push_back(Certificate(Owned<X509>(cert)));
  }
  ERR_clear_error();  // the end of the input reads as an error
  if (chain.empty()) return absl::InvalidArgumentError("no PEM certificate found");
  return chain;
}

std::string Certificate::ToPem() const {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert_.get());
  return internal::BioText(bio.get());
}

absl::Time Certificate::NotBefore() const { return FromAsn1(X509_get0_notBefore(cert_.get())); }
absl::Time Certificate::NotAfter() const { return FromAsn1(X509_get0_notAfter(cert_.get())); }

std::vector<std::string> Certificate::UriSans() const {
  Owned<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert_.get(), NID_subject_alt_name, nullptr, nullptr)));
  return UrisOf(names.get());
}

std::string Certificate::SubjectText() const {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert_.get()), 0, XN_FLAG_RFC2253);
  return internal::BioText(bio.get());
}

std::string Certificate::SerialHex() const {
  Owned<BIGNUM> number(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert_.get()), nullptr));
  if (number == nullptr) return "";
  char* hex = BN_bn2hex(number.get());
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  return out;
}

bool Certificate::IsCa() const { return X509_check_ca(cert_.get()) > 0; }

PublicKeyInfo Certificate::KeyInfo() const {
  return DescribeKey(X509_get0_pubkey(Decoded(cert_.get()).get()));
}

bool Certificate::MatchesKey(const PrivateKey& key) const {
  return X509_check_private_key(Decoded(cert_.get()).get(), key.get()) == 1;
}

bool Certificate::SameAs(const Certificate& other) const {
  return X509_cmp(cert_.get(), other.cert_.get()) == 0;
}

absl::StatusOr<CertificateRequest> CertificateRequest::Build(const PrivateKey& key,
                                                             const Options& options) {
  Owned<X509_REQ> req(X509_REQ_new());
  if (req == nullptr || X509_REQ_set_version(req.get(), 0) != 1 ||
      X509_REQ_set_pubkey(req.get(), key.get()) != 1) {
    return internal::Error(absl::StatusCode::kInternal, "building a CSR");
  }
  absl::StatusOr<Owned<X509_NAME>> subject = Name(options.organization, "");
  if (!subject.ok()) return subject.status();
  X509_REQ_set_subject_name(req.get(), subject->get());
  if (!options.uri_sans.empty()) {
    absl::StatusOr<Owned<X509_EXTENSION>> san = SanExtension(options.uri_sans, {}, {}, false);
    if (!san.ok()) return san.status();
    Owned<STACK_OF(X509_EXTENSION)> extensions(sk_X509_EXTENSION_new_null());
    sk_X509_EXTENSION_push(extensions.get(), san->release());
    if (X509_REQ_add_extensions(req.get(), extensions.get()) != 1) {
      return internal::Error(absl::StatusCode::kInternal, "adding CSR extensions");
    }
  }
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) {
    return internal::Error(absl::StatusCode::kInternal, "signing the CSR");
  }
  unsigned char* der = nullptr;
  const int length = i2d_X509_REQ(req.get(), &der);
  if (length <= 0) return internal::Error(absl::StatusCode::kInternal, "encoding the CSR");
  absl::StatusOr<CertificateRequest> built =
      FromDer(absl::string_view(reinterpret_cast<const char*>(der), static_cast<size_t>(length)));
  OPENSSL_free(der);
  return built;
}

namespace {

// Object identifiers, as DER contents.
constexpr absl::string_view kEcPublicKey("\x2a\x86\x48\xce\x3d\x02\x01", 7);  // 1.2.840.10045.2.1
constexpr absl::string_view kP256("\x2a\x86\x48\xce\x3d\x03\x01\x07", 8);     // 1.2.840.10045.3.1.7
constexpr absl::string_view kP384("\x2b\x81\x04\x00\x22", 5);                 // 1.3.132.0.34
constexpr absl::string_view kRsaEncryption("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01",
                                           9);  // 1.2.840.113549.1.1.1
constexpr absl::string_view kExtensionRequest("\x2a\x86\x48\x86\xf7\x0d\x01\x09\x0e",
                                              9);  // 1.2.840.113549.1.9.14

struct SignatureAlgorithm {
  absl::string_view oid;
  const char* digest;
  bool ecdsa;  // else RSASSA-PKCS1-v1_5
};
constexpr SignatureAlgorithm kSignatureAlgorithms[] = {
    {absl::string_view("\x2a\x86\x48\xce\x3d\x04\x03\x02", 8), "SHA256",
     true},  // ecdsa-with-SHA256
    {absl::string_view("\x2a\x86\x48\xce\x3d\x04\x03\x03", 8), "SHA384", true},
    {absl::string_view("\x2a\x86\x48\xce\x3d\x04\x03\x04", 8), "SHA512", true},
    {absl::string_view("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b", 9), "SHA256",
     false},  // sha256WithRSA
    {absl::string_view("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c", 9), "SHA384", false},
    {absl::string_view("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d", 9), "SHA512", false},
};

// EcParameters is a key holding only a curve's parameters, made once: a
// request's key is a copy given its point, which skips building the curve.
const EVP_PKEY* EcParameters(const char* group) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
      OSSL_PARAM_construct_end()};
  Owned<EVP_PKEY_CTX> context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (context == nullptr || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_KEY_PARAMETERS, params) != 1) {
    return nullptr;
  }
  return key;
}

absl::StatusOr<Owned<EVP_PKEY>> EcKey(const EVP_PKEY* parameters, absl::string_view point) {
  if (parameters == nullptr) return internal::Error(absl::StatusCode::kInternal, "EC parameters");
  Owned<EVP_PKEY> key(EVP_PKEY_dup(const_cast<EVP_PKEY*>(parameters)));
  if (key == nullptr ||
      EVP_PKEY_set1_encoded_public_key(
          key.get(), reinterpret_cast<const unsigned char*>(point.data()), point.size()) != 1) {
    return internal::Error(absl::StatusCode::kInvalidArgument,
                           "the CSR's public key is not a point on its curve");
  }
  return key;
}

absl::StatusOr<Owned<EVP_PKEY>> RsaKey(absl::string_view rsa_public_key) {
  der::Reader outer(rsa_public_key);
  KEEL_ASSIGN_OR_RETURN(der::Element sequence, outer.Next(der::kSequence, "RSA public key"));
  der::Reader fields(sequence.contents);
  KEEL_ASSIGN_OR_RETURN(der::Element modulus, fields.Next(der::kInteger, "RSA modulus"));
  KEEL_ASSIGN_OR_RETURN(der::Element exponent, fields.Next(der::kInteger, "RSA exponent"));
  if (!fields.empty() || !outer.empty()) {
    return absl::InvalidArgumentError("RSA public key: trailing data");
  }
  KEEL_ASSIGN_OR_RETURN(absl::string_view n, der::PositiveInteger(modulus, "RSA modulus"));
  KEEL_ASSIGN_OR_RETURN(absl::string_view e, der::PositiveInteger(exponent, "RSA exponent"));
  auto number = [](absl::string_view bytes) {
    return Owned<BIGNUM>(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                                   static_cast<int>(bytes.size()), nullptr));
  };
  Owned<BIGNUM> n_number = number(n), e_number = number(e);
  Owned<OSSL_PARAM_BLD> builder(OSSL_PARAM_BLD_new());
  if (n_number == nullptr || e_number == nullptr || builder == nullptr ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n_number.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e_number.get()) != 1) {
    return internal::Error(absl::StatusCode::kInternal, "RSA key parameters");
  }
  Owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(builder.get()));
  Owned<EVP_PKEY_CTX> context(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* key = nullptr;
  if (params == nullptr || context == nullptr || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return internal::Error(absl::StatusCode::kInvalidArgument, "the CSR's RSA key is unusable");
  }
  return Owned<EVP_PKEY>(key);
}

// RequestKey reads a request's SubjectPublicKeyInfo: ECDSA P-256/P-384 and
// RSA directly, anything else through OpenSSL's decoders.
absl::StatusOr<Owned<EVP_PKEY>> RequestKey(const der::Element& key_info) {
  der::Reader fields(key_info.contents);
  KEEL_ASSIGN_OR_RETURN(der::Element algorithm, fields.Next(der::kSequence, "CSR key algorithm"));
  KEEL_ASSIGN_OR_RETURN(der::Element bits, fields.Next(der::kBitString, "CSR key"));
  KEEL_ASSIGN_OR_RETURN(absl::string_view key_bytes, der::BitStringBytes(bits, "CSR key"));
  if (!fields.empty()) return absl::InvalidArgumentError("CSR key: trailing data");
  der::Reader algorithm_fields(algorithm.contents);
  KEEL_ASSIGN_OR_RETURN(der::Element oid,
                        algorithm_fields.Next(der::kObjectIdentifier, "CSR key algorithm"));
  absl::StatusOr<der::Element> parameters = algorithm_fields.NextAny("CSR key parameters");
  const bool plain = parameters.ok() && algorithm_fields.empty();
  if (plain && oid.contents == kEcPublicKey && parameters->tag == der::kObjectIdentifier) {
    static const EVP_PKEY* const p256 = EcParameters("prime256v1");
    static const EVP_PKEY* const p384 = EcParameters("secp384r1");
    if (parameters->contents == kP256) return EcKey(p256, key_bytes);
    if (parameters->contents == kP384) return EcKey(p384, key_bytes);
  }
  if (plain && oid.contents == kRsaEncryption && parameters->tag == der::kNull &&
      parameters->contents.empty()) {
    return RsaKey(key_bytes);
  }
  const unsigned char* cursor = reinterpret_cast<const unsigned char*>(key_info.encoding.data());
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &cursor, static_cast<long>(key_info.encoding.size()));
  if (key == nullptr) {
    return internal::Error(absl::StatusCode::kInvalidArgument,
                           "the CSR's public key is unreadable");
  }
  return Owned<EVP_PKEY>(key);
}

// UrisRequested collects the URIs of every subjectAltName in the request's
// extensionRequest attributes.
absl::Status UrisRequested(absl::string_view attributes, std::vector<std::string>& uris) {
  der::Reader reader(attributes);
  while (!reader.empty()) {
    KEEL_ASSIGN_OR_RETURN(der::Element attribute, reader.Next(der::kSequence, "CSR attribute"));
    der::Reader fields(attribute.contents);
    KEEL_ASSIGN_OR_RETURN(der::Element type,
                          fields.Next(der::kObjectIdentifier, "CSR attribute type"));
    KEEL_ASSIGN_OR_RETURN(der::Element values, fields.Next(der::kSet, "CSR attribute values"));
    if (type.contents != kExtensionRequest) continue;
    der::Reader requests(values.contents);
    while (!requests.empty()) {
      KEEL_ASSIGN_OR_RETURN(der::Element extensions,
                            requests.Next(der::kSequence, "CSR extension request"));
      const unsigned char* cursor =
          reinterpret_cast<const unsigned char*>(extensions.encoding.data());
      Owned<STACK_OF(X509_EXTENSION)> decoded(
          d2i_X509_EXTENSIONS(nullptr, &cursor, static_cast<long>(extensions.encoding.size())));
      if (decoded == nullptr) {
        return internal::Error(absl::StatusCode::kInvalidArgument, "CSR extensions are malformed");
      }
      for (int i = 0; i < sk_X509_EXTENSION_num(decoded.get()); ++i) {
        X509_EXTENSION* extension = sk_X509_EXTENSION_value(decoded.get(), i);
        if (OBJ_obj2nid(X509_EXTENSION_get_object(extension)) != NID_subject_alt_name) continue;
        Owned<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(extension)));
        if (names == nullptr) {
          return internal::Error(absl::StatusCode::kInvalidArgument,
                                 "the CSR's subjectAltName is malformed");
        }
        for (std::string& uri : UrisOf(names.get())) uris.push_back(std::move(uri));
      }
    }
  }
  return absl::OkStatus();
}

// CheckSignature checks the request's self-signature over its info.
absl::Status CheckSignature(absl::string_view der, EVP_PKEY* key, const der::Element& info,
                            const der::Element& algorithm, const der::Element& signature) {
  const absl::Status mismatch =
      absl::InvalidArgumentError("the CSR's signature does not match its public key");
  absl::StatusOr<absl::string_view> signature_bytes =
      der::BitStringBytes(signature, "CSR signature");
  der::Reader algorithm_fields(algorithm.contents);
  KEEL_ASSIGN_OR_RETURN(der::Element oid,
                        algorithm_fields.Next(der::kObjectIdentifier, "CSR signature algorithm"));
  const SignatureAlgorithm* known = nullptr;
  for (const SignatureAlgorithm& candidate : kSignatureAlgorithms) {
    if (candidate.oid == oid.contents) known = &candidate;
  }
  if (known == nullptr || !signature_bytes.ok()) {
    // Another algorithm (RSA-PSS, Ed25519, ...): OpenSSL's generic check.
    const unsigned char* cursor = reinterpret_cast<const unsigned char*>(der.data());
    Owned<X509_REQ> request(d2i_X509_REQ(nullptr, &cursor, static_cast<long>(der.size())));
    if (request == nullptr || X509_REQ_verify(request.get(), key) != 1) {
      ERR_clear_error();
      return mismatch;
    }
    return absl::OkStatus();
  }
  if (known->ecdsa != static_cast<bool>(EVP_PKEY_is_a(key, "EC")) ||
      (!known->ecdsa && !EVP_PKEY_is_a(key, "RSA"))) {
    return absl::InvalidArgumentError("the CSR's signature algorithm does not fit its key");
  }
  Owned<EVP_MD_CTX> context(EVP_MD_CTX_new());
  if (context == nullptr ||
      EVP_DigestVerifyInit_ex(context.get(), nullptr, known->digest, nullptr, nullptr, key,
                              nullptr) != 1 ||
      EVP_DigestVerify(
          context.get(), reinterpret_cast<const unsigned char*>(signature_bytes->data()),
          signature_bytes->size(), reinterpret_cast<const unsigned char*>(info.encoding.data()),
          info.encoding.size()) != 1) {
    ERR_clear_error();
    return mismatch;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CertificateRequest> CertificateRequest::FromPem(absl::string_view pem) {
  Owned<BIO> bio = internal::MemoryBio(pem);
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) {
      ERR_clear_error();
      return absl::InvalidArgumentError(
          "not a PEM certificate request (-----BEGIN CERTIFICATE REQUEST-----)");
    }
    const std::string type = name;
    std::string der(reinterpret_cast<const char*>(data), static_cast<size_t>(length));
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (type == "CERTIFICATE REQUEST" || type == "NEW CERTIFICATE REQUEST") return FromDer(der);
  }
}

absl::StatusOr<CertificateRequest> CertificateRequest::FromDer(absl::string_view der) {
  CertificateRequest out;
  out.der_ = std::string(der);
  const absl::string_view input = out.der_;
  der::Reader top(input);
  KEEL_ASSIGN_OR_RETURN(der::Element request, top.Next(der::kSequence, "CSR"));
  if (!top.empty()) return absl::InvalidArgumentError("CSR: trailing data after the request");
  der::Reader fields(request.contents);
  KEEL_ASSIGN_OR_RETURN(der::Element info, fields.Next(der::kSequence, "CSR info"));
  KEEL_ASSIGN_OR_RETURN(der::Element algorithm,
                        fields.Next(der::kSequence, "CSR signature algorithm"));
  KEEL_ASSIGN_OR_RETURN(der::Element signature, fields.Next(der::kBitString, "CSR signature"));
  if (!fields.empty()) return absl::InvalidArgumentError("CSR: trailing data after the signature");

  der::Reader info_fields(info.contents);
  KEEL_ASSIGN_OR_RETURN(der::Element version, info_fields.Next(der::kInteger, "CSR version"));
  if (version.contents != absl::string_view("\0", 1)) {
    return absl::InvalidArgumentError("CSR version: only version 1 (0) exists");
  }
  KEEL_ASSIGN_OR_RETURN(der::Element subject, info_fields.Next(der::kSequence, "CSR subject"));
  KEEL_ASSIGN_OR_RETURN(der::Element key_info, info_fields.Next(der::kSequence, "CSR public key"));
  if (!info_fields.empty()) {
    KEEL_ASSIGN_OR_RETURN(der::Element attributes,
                          info_fields.Next(der::ContextConstructed(0), "CSR attributes"));
    if (!info_fields.empty()) {
      return absl::InvalidArgumentError("CSR info: trailing data after the attributes");
    }
    if (absl::Status uris = UrisRequested(attributes.contents, out.uri_sans_); !uris.ok()) {
      return uris;
    }
  }
  absl::StatusOr<Owned<EVP_PKEY>> key = RequestKey(key_info);
  if (!key.ok()) return key.status();
  out.key_ = *std::move(key);
  if (absl::Status checked = CheckSignature(input, out.key_.get(), info, algorithm, signature);
      !checked.ok()) {
    return checked;
  }
  out.key_info_offset_ = static_cast<size_t>(key_info.encoding.data() - input.data());
  out.key_info_size_ = key_info.encoding.size();
  return out;
}

std::string CertificateRequest::ToPem() const {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio(bio.get(), "CERTIFICATE REQUEST", "",
                reinterpret_cast<const unsigned char*>(der_.data()),
                static_cast<long>(der_.size()));
  return internal::BioText(bio.get());
}

absl::StatusOr<mtls::PublicKey> CertificateRequest::PublicKey() const {
  return mtls::PublicKey::FromDer(absl::string_view(der_).substr(key_info_offset_, key_info_size_));
}

absl::StatusOr<Certificate> Issuer::Sign(const PublicKey& subject_key,
                                         const CertificateTemplate& what) const {
  Owned<X509> cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), 2) != 1) {
    return internal::Error(absl::StatusCode::kInternal, "building a certificate");
  }
  if (absl::Status serial = SetRandomSerial(cert.get()); !serial.ok()) return serial;
  // A certificate never outlives the one that signed it (Istio #18990).
  const absl::Time not_after = std::min(what.not_after, cert_.NotAfter());
  if (absl::Status validity = SetValidity(cert.get(), what.not_before, not_after); !validity.ok()) {
    return validity;
  }
  absl::StatusOr<Owned<X509_NAME>> subject = Name(what.organization, what.common_name);
  if (!subject.ok()) return subject.status();
  if (X509_set_subject_name(cert.get(), subject->get()) != 1 ||
      X509_set_issuer_name(cert.get(), X509_get_subject_name(cert_.get())) != 1) {
    return internal::Error(absl::StatusCode::kInternal, "setting names");
  }
  if (absl::Status copied =
          internal::CopyPublicKeyInfo(subject_key.get(), X509_get_X509_PUBKEY(cert.get()));
      !copied.ok()) {
    return copied;
  }
  const bool no_subject = what.organization.empty() && what.common_name.empty();
  if (absl::Status added = AddStandardExtensions(cert.get(), cert_.get(), subject_key, what.is_ca);
      !added.ok()) {
    return added;
  }
  if (!what.uri_sans.empty() || !what.dns_sans.empty() || !what.ip_sans.empty()) {
    absl::StatusOr<Owned<X509_EXTENSION>> san =
        SanExtension(what.uri_sans, what.dns_sans, what.ip_sans, no_subject);
    if (!san.ok()) return san.status();
    if (X509_add_ext(cert.get(), san->get(), -1) != 1) {
      return internal::Error(absl::StatusCode::kInternal, "adding the SAN");
    }
  }
  if (X509_sign(cert.get(), key_.get(), EVP_sha256()) <= 0) {
    return internal::Error(absl::StatusCode::kInternal, "signing the certificate");
  }
  return Certificate::Adopt(std::move(cert));
}

absl::StatusOr<Certificate> SelfSignedRoot(const PrivateKey& key, const RootOptions& options) {
  Owned<X509> cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), 2) != 1) {
    return internal::Error(absl::StatusCode::kInternal, "building a root");
  }
  if (absl::Status serial = SetRandomSerial(cert.get()); !serial.ok()) return serial;
  if (absl::Status validity = SetValidity(cert.get(), options.not_before, options.not_after);
      !validity.ok()) {
    return validity;
  }
  absl::StatusOr<Owned<X509_NAME>> name = Name(options.organization, options.common_name);
  if (!name.ok()) return name.status();
  if (X509_set_subject_name(cert.get(), name->get()) != 1 ||
      X509_set_issuer_name(cert.get(), name->get()) != 1 ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return internal::Error(absl::StatusCode::kInternal, "setting the root's names and key");
  }
  X509V3_CTX context;
  X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] :
       std::vector<std::pair<int, const char*>>{{NID_basic_constraints, "critical,CA:TRUE"},
                                                {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                                {NID_subject_key_identifier, "hash"}}) {
    if (absl::Status added = AddExtension(cert.get(), &context, nid, value); !added.ok()) {
      return added;
    }
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    return internal::Error(absl::StatusCode::kInternal, "signing the root");
  }
  return Certificate::Adopt(std::move(cert));
}

absl::Status VerifyChain(const std::vector<Certificate>& chain,
                         const std::vector<Certificate>& roots, absl::Time at) {
  if (chain.empty()) return absl::InvalidArgumentError("empty certificate chain");
  Owned<X509_STORE> store(X509_STORE_new());
  for (const Certificate& root : roots) X509_STORE_add_cert(store.get(), root.get());
  std::vector<Owned<X509>> decoded;
  for (const Certificate& cert : chain) decoded.push_back(Decoded(cert.get()));
  Owned<STACK_OF(X509)> intermediates(sk_X509_new_null());
  for (size_t i = 1; i < decoded.size(); ++i) sk_X509_push(intermediates.get(), decoded[i].get());
  Owned<X509_STORE_CTX> context(X509_STORE_CTX_new());
  if (X509_STORE_CTX_init(context.get(), store.get(), decoded[0].get(), intermediates.get()) != 1) {
    return internal::Error(absl::StatusCode::kInternal, "verifying a chain");
  }
  X509_STORE_CTX_set_time(context.get(), 0, absl::ToTimeT(at));
  if (X509_verify_cert(context.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(context.get());
    return absl::PermissionDeniedError(
        absl::StrCat("certificate chain does not verify: ", X509_verify_cert_error_string(error),
                     " (at depth ", X509_STORE_CTX_get_error_depth(context.get()), ")"));
  }
  return absl::OkStatus();
}

std::string ChainToPem(const std::vector<Certificate>& chain) {
  std::string out;
  for (const Certificate& cert : chain) out += cert.ToPem();
  return out;
}

}  // namespace keel::mtls
