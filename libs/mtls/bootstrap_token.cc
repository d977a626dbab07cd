#include "libs/mtls/bootstrap_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <filesystem>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/files.h"
#include "libs/mtls/openssl_util.h"
#include "libs/mtls/spiffe.h"

namespace keel::mtls {
namespace {

constexpr absl::string_view kPrefix = "keel.v1.";
constexpr size_t kMaxTokenBytes = 4096;

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("bootstrap token: ", why));
}

}  // namespace

absl::StatusOr<TokenSigner> TokenSigner::FromKeyFile(const std::string& path, bool create) {
  if (absl::StatusOr<std::string> text = ReadWholeFile(path); text.ok()) {
    std::string secret;
    if (!absl::Base64Unescape(absl::StripAsciiWhitespace(*text), &secret) ||
        secret.size() < 32) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": not a token signing key (base64 of at least 32 bytes)"));
    }
    return TokenSigner(std::move(secret));
  }
  if (!create) return absl::NotFoundError(absl::StrCat(path, ": cannot read the token key"));
  std::string secret(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), 32) != 1) {
    return internal::Error(absl::StatusCode::kInternal, "random token key");
  }
  if (absl::Status written = WriteFileAtomically(path, absl::Base64Escape(secret) + "\n", 0600);
      !written.ok()) {
    return written;
  }
  return TokenSigner(std::move(secret));
}

std::string TokenSigner::Mac(absl::string_view payload) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t length = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret_.data(), secret_.size(),
                reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), out,
                sizeof(out), &length) == nullptr) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(out), length);
}

absl::StatusOr<std::string> TokenSigner::Issue(const std::string& namespace_name,
                                               const std::string& service_account,
                                               absl::Duration ttl) const {
  if (!IsDnsLabel(namespace_name)) {
    return absl::InvalidArgumentError(absl::StrCat("bad namespace \"", namespace_name, "\""));
  }
  if (!IsDnsSubdomain(service_account)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad service account \"", service_account, "\""));
  }
  if (ttl <= absl::ZeroDuration()) return absl::InvalidArgumentError("token lifetime must be > 0");
  unsigned char id[8];
  if (RAND_bytes(id, sizeof(id)) != 1) return internal::Error(absl::StatusCode::kInternal, "random");
  const std::string payload = absl::StrCat(
      "ns=", namespace_name, "&sa=", service_account, "&exp=", absl::ToUnixSeconds(absl::Now() + ttl),
      "&id=", absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(id), sizeof(id))));
  const std::string mac = Mac(payload);
  if (mac.empty()) return internal::Error(absl::StatusCode::kInternal, "signing a token");
  return absl::StrCat(kPrefix, absl::WebSafeBase64Escape(payload), ".",
                      absl::WebSafeBase64Escape(mac));
}

absl::StatusOr<TokenClaims> TokenSigner::Verify(absl::string_view token, absl::Time now) const {
  if (token.size() > kMaxTokenBytes) return Unauthenticated("longer than 4096 bytes");
  if (!absl::StartsWith(token, kPrefix)) return Unauthenticated("not a Keel token (keel.v1.)");
  const std::vector<absl::string_view> parts = absl::StrSplit(token.substr(kPrefix.size()), '.');
  std::string payload, mac;
  if (parts.size() != 2 || !absl::WebSafeBase64Unescape(parts[0], &payload) ||
      !absl::WebSafeBase64Unescape(parts[1], &mac)) {
    return Unauthenticated("malformed");
  }
  const std::string expected = Mac(payload);
  if (expected.empty() || mac.size() != expected.size() ||
      CRYPTO_memcmp(mac.data(), expected.data(), mac.size()) != 0) {
    return Unauthenticated("bad signature");
  }
  TokenClaims claims;
  int64_t expiry = 0;
  for (absl::string_view field : absl::StrSplit(payload, '&')) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(field, absl::MaxSplits('=', 1));
    if (kv.first == "ns") claims.namespace_name = std::string(kv.second);
    if (kv.first == "sa") claims.service_account = std::string(kv.second);
    if (kv.first == "id") claims.id = std::string(kv.second);
    if (kv.first == "exp" && !absl::SimpleAtoi(kv.second, &expiry)) {
      return Unauthenticated("malformed expiry");
    }
  }
  if (claims.namespace_name.empty() || claims.service_account.empty() || expiry == 0) {
    return Unauthenticated("missing claims");
  }
  claims.expiry = absl::FromUnixSeconds(expiry);
  if (claims.expiry <= now) {
    return Unauthenticated(absl::StrCat("expired at ", absl::FormatTime(claims.expiry)));
  }
  return claims;
}

}  // namespace keel::mtls
