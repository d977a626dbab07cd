// The CA backends that hold their key on local disk, registered as signers:
//
//   "self-signed": a root made on first start and kept in config["dir"]
//     (ca-key.pem 0600, root-cert.pem, trusted-roots.pem); the same root
//     after a restart. Leaves are signed by the root. It can rotate its root.
//   "cacerts": Istio's plugged-in CA layout in config["dir"]: ca-cert.pem
//     and ca-key.pem sign, cert-chain.pem leads from ca-cert up to
//     root-cert.pem (an organisation's root). Read-only.
//
// Both take config["trust_domain"] (the root's organization; default
// cluster.local), config["root_ttl"] (self-signed; default 87600h) and
// config["backdate"] (NotBefore in the past, for clock skew; default 5m).
#ifndef KEEL_LIBS_MTLS_LOCAL_CA_H_
#define KEEL_LIBS_MTLS_LOCAL_CA_H_

#include <memory>

#include "absl/status/statusor.h"
#include "libs/mtls/signer.h"

namespace keel::mtls {

absl::StatusOr<std::unique_ptr<CertificateSigner>> NewSelfSignedCa(const SignerConfig& config);
absl::StatusOr<std::unique_ptr<CertificateSigner>> NewPluggedInCa(const SignerConfig& config);

}  // namespace keel::mtls

#endif  // KEEL_LIBS_MTLS_LOCAL_CA_H_
