#include "services/citadel/ca_server.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/hash/hash.h"
#include "libs/common/logging.h"
#include "libs/mtls/certificate.h"
#include "prometheus/counter.h"
#include "spdlog/spdlog.h"

namespace keel::citadel {
namespace {

constexpr size_t kMaxCsrBytes = 32 * 1024;

grpc::StatusCode ToGrpc(absl::StatusCode code) { return static_cast<grpc::StatusCode>(code); }

// A key Citadel signs for: ECDSA P-256 or P-384, RSA 2048 to 4096 bits.
absl::Status CheckKey(const mtls::PublicKeyInfo& key) {
  if (key.algorithm == "ECDSA" && (key.curve == "P-256" || key.curve == "P-384")) {
    return absl::OkStatus();
  }
  if (key.algorithm == "RSA" && (key.bits == 2048 || key.bits == 3072 || key.bits == 4096)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported key ", key.Describe(),
                   ": want ECDSA P-256 or P-384, or RSA 2048, 3072 or 4096"));
}

}  // namespace

CaServer::CaServer(CaPolicy policy, SignerProvider signer, const mtls::TokenSigner* tokens,
                   prometheus::Registry& registry, CertificateLog* log)
    : policy_(std::move(policy)),
      signer_(std::move(signer)),
      tokens_(tokens),
      outcomes_(prometheus::BuildCounter()
                    .Name("citadel_server_csr_total")
                    .Help("Certificate signing requests, by outcome and reason.")
                    .Register(registry)),
      issued_(prometheus::BuildCounter()
                  .Name("citadel_server_success_cert_issuance_count")
                  .Help("Certificates issued.")
                  .Register(registry)
                  .Add({})),
      log_(log),
      per_identity_(policy_.certificates_per_second, policy_.certificate_burst),
      per_token_(policy_.certificates_per_second, policy_.certificate_burst) {}

absl::StatusOr<CaServer::Caller> CaServer::Authenticate(
    const grpc::CallbackServerContext& context) const {
  // A client certificate gRPC verified against the trusted roots.
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr) {
    for (const grpc::string_ref& pem : auth->FindPropertyValues("x509_pem_cert")) {
      absl::StatusOr<mtls::Certificate> cert =
          mtls::Certificate::FromPem(absl::string_view(pem.data(), pem.size()));
      if (!cert.ok()) continue;
      for (const std::string& uri : cert->UriSans()) {
        absl::StatusOr<mtls::SpiffeId> id = mtls::SpiffeId::Parse(uri);
        if (!id.ok()) continue;
        if (id->trust_domain != policy_.trust_domain) {
          return absl::PermissionDeniedError(absl::StrCat("client certificate is for trust domain \"",
                                                          id->trust_domain, "\", not \"",
                                                          policy_.trust_domain, "\""));
        }
        return Caller{.id = *id, .by_certificate = true};
      }
      return absl::UnauthenticatedError("client certificate has no SPIFFE identity");
    }
  }
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "no client certificate and no \"authorization: Bearer <token>\" metadata");
  }
  const absl::string_view header(it->second.data(), it->second.size());
  if (!absl::StartsWith(header, "Bearer ")) {
    return absl::UnauthenticatedError("authorization metadata is not \"Bearer <token>\"");
  }
  if (tokens_ == nullptr) return absl::UnauthenticatedError("this CA accepts no bootstrap tokens");
  absl::StatusOr<mtls::TokenClaims> claims = tokens_->Verify(header.substr(7));
  if (!claims.ok()) return claims.status();
  return Caller{.id = {policy_.trust_domain, claims->namespace_name, claims->service_account},
                .token = std::string(header.substr(7))};
}

grpc::Status CaServer::Refuse(grpc::StatusCode code, const std::string& reason,
                              const std::string& message) {
  outcomes_.Add({{"outcome", "refused"}, {"reason", reason}}).Increment();
  return grpc::Status(code, message);
}

grpc::ServerUnaryReactor* CaServer::CreateCertificate(
    grpc::CallbackServerContext* context, const istio::v1::auth::IstioCertificateRequest* request,
    istio::v1::auth::IstioCertificateResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(Sign(context, request, response));
  return reactor;
}

grpc::Status CaServer::Sign(grpc::CallbackServerContext* context,
                            const istio::v1::auth::IstioCertificateRequest* request,
                            istio::v1::auth::IstioCertificateResponse* response) {
  absl::StatusOr<Caller> caller = Authenticate(*context);
  if (!caller.ok()) {
    if (uint64_t dropped = 0; ConnectionLogLimiter().Allow(&dropped)) {
      spdlog::warn("CSR refused: {} (peer {}; {} connection log lines not written before)",
                   std::string(caller.status().message()), ClientText(context->peer(), 128),
                   dropped);
    }
    return Refuse(ToGrpc(caller.status().code()), "authentication",
                  std::string(caller.status().message()));
  }
  const std::string identity = caller->id.ToString();
  // Before any work on the CSR: one identity (or token) cannot make the CA
  // sign without bound, for itself or at everyone else's expense.
  std::optional<absl::Duration> wait = per_identity_.Take(identity);
  if (!wait.has_value() && !caller->token.empty()) {
    wait = per_token_.Take(absl::StrCat(absl::Hash<std::string>{}(caller->token)));
  }
  if (wait.has_value()) {
    return Refuse(grpc::StatusCode::RESOURCE_EXHAUSTED, "rate_limit",
                  absl::StrCat(identity, caller->token.empty() ? "" : " (by its bootstrap token)",
                               " has asked for more than ", policy_.certificates_per_second,
                               " certificates per second (burst ", policy_.certificate_burst,
                               "); retry in ", absl::FormatDuration(absl::Ceil(*wait, absl::Milliseconds(1)))));
  }
  if (request->csr().size() > kMaxCsrBytes) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT, "csr_size",
                  absl::StrCat("csr is ", request->csr().size(), " bytes; the limit is ",
                               kMaxCsrBytes));
  }
  absl::StatusOr<mtls::CertificateRequest> csr =
      mtls::CertificateRequest::FromPem(request->csr());
  if (!csr.ok()) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT, "csr_parse",
                  absl::StrCat("csr: ", csr.status().message()));
  }
  if (absl::Status key = CheckKey(csr->KeyInfo()); !key.ok()) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT, "key", absl::StrCat("csr: ", key.message()));
  }
  // The identity is the caller's; a CSR may repeat it, never ask for another.
  for (const std::string& asked : csr->UriSans()) {
    if (asked != identity) {
      return Refuse(grpc::StatusCode::PERMISSION_DENIED, "identity",
                    absl::StrCat("csr asks for \"", ClientText(asked, 256), "\" but the caller is ",
                                 identity));
    }
  }
  if (request->validity_duration() < 0) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT, "ttl",
                  absl::StrCat("validity_duration ", request->validity_duration(),
                               " is negative"));
  }
  const absl::Duration ttl = request->validity_duration() == 0
                                 ? policy_.default_ttl
                                 : absl::Seconds(request->validity_duration());
  if (ttl > policy_.max_ttl) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT, "ttl",
                  absl::StrCat("validity_duration ", request->validity_duration(),
                               "s is more than the maximum ", absl::ToInt64Seconds(policy_.max_ttl),
                               "s (", absl::FormatDuration(policy_.max_ttl), ")"));
  }
  absl::StatusOr<mtls::PublicKey> subject_key = csr->PublicKey();
  if (!subject_key.ok()) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT, "key",
                  absl::StrCat("csr: ", subject_key.status().message()));
  }
  std::shared_ptr<mtls::CertificateSigner> signer = signer_();
  absl::StatusOr<std::vector<mtls::Certificate>> chain = signer->Sign(
      {.public_key = *std::move(subject_key), .uri_sans = {identity}, .ttl = ttl});
  if (!chain.ok()) {
    spdlog::error("signing for {} failed: {}", identity, std::string(chain.status().message()));
    return Refuse(grpc::StatusCode::INTERNAL, "sign",
                  absl::StrCat("signing failed: ", chain.status().message()));
  }
  for (const mtls::Certificate& cert : *chain) response->add_cert_chain(cert.ToPem());
  context->AddInitialMetadata(kTrustBundleHeader, mtls::ChainToPem(signer->Roots()));
  outcomes_.Add({{"outcome", "issued"}, {"reason", ""}}).Increment();
  issued_.Increment();
  if (log_ != nullptr) {
    log_->RecordIssued({.identity = identity,
                        .serial = (*chain)[0].SerialHex(),
                        .not_after = (*chain)[0].NotAfter(),
                        .renewal = caller->by_certificate});
  }
  spdlog::debug("issued {} until {}", identity, absl::FormatTime((*chain)[0].NotAfter()));
  return grpc::Status::OK;
}

}  // namespace keel::citadel
