// Ownership and errors for OpenSSL objects, shared by libs/mtls only.
#ifndef KEEL_LIBS_MTLS_OPENSSL_UTIL_H_
#define KEEL_LIBS_MTLS_OPENSSL_UTIL_H_

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace keel::mtls::internal {

struct OpenSslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_REQ* p) const { X509_REQ_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(X509_PUBKEY* p) const { X509_PUBKEY_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(ASN1_OBJECT* p) const { ASN1_OBJECT_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(ASN1_TIME* p) const { ASN1_TIME_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(STACK_OF(X509) * p) const { sk_X509_free(p); }
  void operator()(STACK_OF(X509_EXTENSION) * p) const {
    sk_X509_EXTENSION_pop_free(p, X509_EXTENSION_free);
  }
};

template <typename T>
using Owned = std::unique_ptr<T, OpenSslFree>;

// Error returns `code` with `what` and the reasons on OpenSSL's error queue
// (which it clears).
absl::Status Error(absl::StatusCode code, absl::string_view what);

// CopyPublicKeyInfo copies a SubjectPublicKeyInfo's algorithm and key bits
// into `to` as they are. OpenSSL 3.0 re-encodes a key set with
// X509_set_pubkey through its encoder framework (~150 us); this is a copy.
absl::Status CopyPublicKeyInfo(const X509_PUBKEY* from, X509_PUBKEY* to);

// MemoryBio reads from `text` (which must outlive it).
Owned<BIO> MemoryBio(absl::string_view text);
// BioText returns what was written to a memory BIO.
std::string BioText(BIO* bio);

}  // namespace keel::mtls::internal

#endif  // KEEL_LIBS_MTLS_OPENSSL_UTIL_H_
