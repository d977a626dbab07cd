// Bootstrap tokens: how a workload without a certificate proves who it is to
// Citadel. A token names one namespace and service account and expires; it
// is signed (HMAC-SHA256) with a secret only Citadel and its operators hold.
// It travels as gRPC metadata "authorization: Bearer <token>".
//
//   keel.v1.<base64url(ns=..&sa=..&exp=<unix seconds>&id=<random>)>.<base64url(hmac)>
#ifndef KEEL_LIBS_MTLS_BOOTSTRAP_TOKEN_H_
#define KEEL_LIBS_MTLS_BOOTSTRAP_TOKEN_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace keel::mtls {

struct TokenClaims {
  std::string namespace_name;
  std::string service_account;
  absl::Time expiry;
  std::string id;
};

class TokenSigner {
 public:
  // FromKeyFile reads the signing secret from `path`; with `create`, a
  // missing file is made (32 random bytes, mode 0600).
  static absl::StatusOr<TokenSigner> FromKeyFile(const std::string& path, bool create);
  explicit TokenSigner(std::string secret) : secret_(std::move(secret)) {}

  // Issue signs a token for namespace/service account, valid for `ttl`.
  absl::StatusOr<std::string> Issue(const std::string& namespace_name,
                                    const std::string& service_account, absl::Duration ttl) const;
  // Verify checks the signature and expiry: Unauthenticated, saying why, otherwise.
  absl::StatusOr<TokenClaims> Verify(absl::string_view token, absl::Time now = absl::Now()) const;

 private:
  std::string Mac(absl::string_view payload) const;
  std::string secret_;
};

}  // namespace keel::mtls

#endif  // KEEL_LIBS_MTLS_BOOTSTRAP_TOKEN_H_
