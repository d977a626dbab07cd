// CertificateSigner is what signs workload certificates. Citadel holds one;
// which one is configuration. A new backend (say, an external CA) is one
// file that implements this interface and registers a factory by name with
// KEEL_REGISTER_SIGNER.
#ifndef KEEL_LIBS_MTLS_SIGNER_H_
#define KEEL_LIBS_MTLS_SIGNER_H_

#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/mtls/certificate.h"

namespace keel::mtls {

struct SignRequest {
  std::optional<PublicKey> public_key;  // the subject's (from a verified CSR)
  std::vector<std::string> uri_sans;  // the authenticated identity, never the CSR's
  std::vector<std::string> dns_sans;  // for servers reached by name
  std::vector<std::string> ip_sans;
  absl::Duration ttl;
};

class CertificateSigner {
 public:
  virtual ~CertificateSigner() = default;

  // Sign returns the chain for `request`: leaf first, root last.
  virtual absl::StatusOr<std::vector<Certificate>> Sign(const SignRequest& request) = 0;
  // Roots are every root a peer should trust now (more than one while a
  // root rotates).
  virtual std::vector<Certificate> Roots() const = 0;
  // SigningCertificate is the certificate leaves are signed with (the root
  // itself for a self-signed CA).
  virtual Certificate SigningCertificate() const = 0;

  // Root rotation without downtime, for backends that own their root:
  // RotateRoot makes a new root with the same key and trusts old and new;
  // RetireOldRoots then trusts only the current one. Others: Unimplemented.
  virtual absl::Status RotateRoot() { return absl::UnimplementedError("this CA cannot rotate its root"); }
  virtual absl::Status RetireOldRoots() {
    return absl::UnimplementedError("this CA cannot rotate its root");
  }
};

// SignerConfig is a backend's settings: "dir", "trust_domain", ... as the
// backend documents them.
using SignerConfig = std::map<std::string, std::string>;
using SignerFactory =
    std::function<absl::StatusOr<std::unique_ptr<CertificateSigner>>(const SignerConfig&)>;

// RegisterSigner makes `name` available to NewSigner. Returns true (for
// static registration).
bool RegisterSigner(const std::string& name, SignerFactory factory);
// NewSigner builds the registered backend `name`; NotFound lists the known ones.
absl::StatusOr<std::unique_ptr<CertificateSigner>> NewSigner(const std::string& name,
                                                             const SignerConfig& config);

}  // namespace keel::mtls

// Registers a factory at program start (the library must be alwayslink).
#define KEEL_REGISTER_SIGNER(name, factory) \
  static const bool keel_signer_registered_##factory = ::keel::mtls::RegisterSigner(name, factory)

#endif  // KEEL_LIBS_MTLS_SIGNER_H_
