// CertificateManager keeps a workload's certificate current: it makes a key
// and CSR, asks Citadel for a chain (with the bootstrap token the first time,
// with the current certificate over mTLS after), writes key.pem, cert-chain.pem
// and root-cert.pem atomically where gRPC's file_watcher provider reads them,
// and renews at a fraction of the lifetime (with jitter). When Citadel cannot
// be reached it keeps the still-valid certificate and retries with backoff.
#ifndef KEEL_SERVICES_AGENT_CERTIFICATE_MANAGER_H_
#define KEEL_SERVICES_AGENT_CERTIFICATE_MANAGER_H_

#include <functional>
#include <random>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "libs/mtls/key.h"

namespace keel::agent {

struct CertificateManagerOptions {
  std::string citadel_address = "localhost:8060";
  std::string citadel_root_file;  // PEM roots to trust Citadel before the first certificate
  std::string token_file;         // the bootstrap token (read at each use: it may be rotated)
  std::string cert_dir;           // where key.pem, cert-chain.pem and root-cert.pem go
  std::string identity;           // SPIFFE id the CSR names (Citadel decides in the end)
  mtls::KeyType key_type = mtls::KeyType::kEcdsaP256;
  absl::Duration requested_ttl;   // 0: Citadel's default
  double renew_fraction = 0.5;    // of the lifetime
  double jitter_fraction = 0.05;  // +/- this much of the lifetime
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(30);
};

// What the workload holds now.
struct CertificateState {
  bool valid = false;
  std::string key_pem;
  std::string chain_pem;
  std::string roots_pem;
  std::string identity;  // the leaf's SPIFFE id
  absl::Time not_before;
  absl::Time not_after;
  // When the agent received it. Citadel back-dates NotBefore for clock skew,
  // so renewal counts the lifetime from here.
  absl::Time received;
  uint64_t generation = 0;  // grows with each new certificate
};

class CertificateManager {
 public:
  using Listener = std::function<void(const CertificateState&)>;
  explicit CertificateManager(CertificateManagerOptions options);
  ~CertificateManager();

  // Start reads a certificate left in cert_dir (a restarted agent keeps
  // working while Citadel is away), then renews in the background. Every
  // new certificate is reported to `on_change` after its files are written.
  void Start(Listener on_change);
  void Stop();

  // RenewOnce makes one attempt now.
  absl::Status RenewOnce();
  CertificateState Current() const;

 private:
  absl::Status LoadExisting();
  absl::Time NextRenewal(const CertificateState& state);
  void Loop();

  const CertificateManagerOptions options_;
  Listener on_change_;
  mutable absl::Mutex mu_;
  CertificateState state_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 random_ ABSL_GUARDED_BY(mu_);
  absl::Notification stopping_;
  std::thread thread_;
};

}  // namespace keel::agent

#endif  // KEEL_SERVICES_AGENT_CERTIFICATE_MANAGER_H_
