// CaServer answers istio.v1.auth.IstioCertificateService/CreateCertificate:
// it authenticates the caller (its mTLS client certificate, or a bootstrap
// token), checks the CSR and the requested lifetime, and signs a certificate
// for the caller's own SPIFFE identity, whatever the CSR asks for.
#ifndef KEEL_SERVICES_CITADEL_CA_SERVER_H_
#define KEEL_SERVICES_CITADEL_CA_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/keyed_rate_limiter.h"
#include "libs/mtls/bootstrap_token.h"
#include "libs/mtls/signer.h"
#include "libs/mtls/spiffe.h"
#include "services/citadel/certificate_log.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"
#include "proto/istio/security/v1alpha1/ca.grpc.pb.h"

namespace keel::citadel {

struct CaPolicy {
  std::string trust_domain = "cluster.local";
  absl::Duration default_ttl = absl::Hours(24);
  absl::Duration max_ttl = absl::Hours(24 * 90);
  // Certificates one identity (and one bootstrap token) may get: a rate per
  // second and a burst (a rollout of that many pods at once). 0: no limit.
  double certificates_per_second = 10;
  double certificate_burst = 100;
};

// The current signer: replaced whole when the CA's files change.
using SignerProvider = std::function<std::shared_ptr<mtls::CertificateSigner>()>;

class CaServer final : public istio::v1::auth::IstioCertificateService::CallbackService {
 public:
  // Trust bundle metadata: every root a peer should trust now, as PEM, sent
  // in the response's initial metadata beside the chain (which ends with
  // the root that signed it). keel-agent writes it as root-cert.pem; other
  // clients may ignore it.
  static constexpr char kTrustBundleHeader[] = "keel-trust-bundle-bin";

  // `log` (may be null) hears of every certificate issued.
  CaServer(CaPolicy policy, SignerProvider signer, const mtls::TokenSigner* tokens,
           prometheus::Registry& registry, CertificateLog* log = nullptr);

  // Signing is short and CPU-bound: it runs on gRPC's callback thread.
  grpc::ServerUnaryReactor* CreateCertificate(
      grpc::CallbackServerContext* context, const istio::v1::auth::IstioCertificateRequest* request,
      istio::v1::auth::IstioCertificateResponse* response) override;

  struct Caller {
    mtls::SpiffeId id;
    bool by_certificate = false;  // a renewal; else a bootstrap token
    std::string token;            // the bootstrap token it presented, if any
  };
  // Authenticate finds the caller's identity: its verified client
  // certificate's SPIFFE id, else its bearer token's claims.
  absl::StatusOr<Caller> Authenticate(const grpc::CallbackServerContext& context) const;

 private:
  grpc::Status Sign(grpc::CallbackServerContext* context,
                    const istio::v1::auth::IstioCertificateRequest* request,
                    istio::v1::auth::IstioCertificateResponse* response);
  grpc::Status Refuse(grpc::StatusCode code, const std::string& reason, const std::string& message);

  const CaPolicy policy_;
  const SignerProvider signer_;
  const mtls::TokenSigner* tokens_;  // may be null: certificates only
  prometheus::Family<prometheus::Counter>& outcomes_;
  prometheus::Counter& issued_;
  CertificateLog* const log_;
  KeyedRateLimiter per_identity_;
  KeyedRateLimiter per_token_;
};

}  // namespace keel::citadel

#endif  // KEEL_SERVICES_CITADEL_CA_SERVER_H_
