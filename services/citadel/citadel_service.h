// Citadel is the mesh's certificate authority: it signs workload
// certificates with SPIFFE identities over Istio's CA API (TLS), keeps its
// root across restarts, and picks up a rotated root or replaced CA files
// while it runs.
#ifndef KEEL_SERVICES_CITADEL_CITADEL_SERVICE_H_
#define KEEL_SERVICES_CITADEL_CITADEL_SERVICE_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "libs/common/file_watch.h"
#include "libs/common/service_host.h"
#include "libs/mtls/bootstrap_token.h"
#include "libs/mtls/signer.h"
#include "prometheus/gauge.h"
#include "services/citadel/ca_server.h"
#include "services/citadel/certificate_log.h"

namespace keel::citadel {

struct CitadelOptions {
  std::string ca_mode = "self-signed";  // a registered signer: "self-signed", "cacerts"
  std::string ca_dir;                   // the CA's files (see libs/mtls/local_ca.h)
  std::string trust_domain = "cluster.local";
  absl::Duration workload_cert_ttl = absl::Hours(24);
  absl::Duration max_workload_cert_ttl = absl::Hours(24 * 90);
  // Per identity and per bootstrap token (see CaPolicy); 0: no limit.
  double certificates_per_second = 10;
  double certificate_burst = 100;
  absl::Duration root_ttl = absl::Hours(24 * 365 * 10);
  // The bootstrap token secret; "" means <ca_dir>/token-key (made if missing).
  std::string token_key_file;
  // Where Citadel keeps its own serving certificate; "" means a new
  // temporary folder.
  std::string serving_dir;
  // Names clients reach Citadel by (DNS SANs of its serving certificate).
  std::vector<std::string> server_names = {"localhost", "citadel", "keel-citadel"};
  std::string namespace_name = "keel-system";  // Citadel's own identity's namespace
  // Warn in the log when the root or signing certificate has less left.
  absl::Duration expiry_warning = absl::Hours(24 * 30);
  // When set (self-signed mode), replicas share one CA through this etcd
  // cluster (host:port of its members): see etcd_ca.h.
  std::vector<std::string> etcd_endpoints;
  // On etcd: how long a dead leader (the replica that carries out root
  // rotations) keeps the lead before another takes it.
  absl::Duration leader_lease = absl::Seconds(5);
};

// SignerConfigFor is what NewSigner gets for these options.
mtls::SignerConfig SignerConfigFor(const CitadelOptions& options);

class EtcdCaSync;
class RootRotator;

class CitadelService : public Service {
 public:
  explicit CitadelService(CitadelOptions options);
  ~CitadelService() override;

  std::string name() const override { return "citadel"; }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> GrpcServerCredentials() override;
  void RegisterGrpcServices(grpc::ServerBuilder& builder, MetricsRegistry& metrics) override;
  absl::Status Start(ServiceContext& context) override;
  void Stop() override;

  std::shared_ptr<mtls::CertificateSigner> signer() const;
  std::string serving_dir() const { return serving_dir_; }

 private:
  // IssueServingCertificate writes Citadel's own key, chain and the trusted
  // roots to serving_dir_, where its gRPC server reads them.
  absl::Status IssueServingCertificate();
  void ReloadCa();
  void Maintain();
  void UpdateExpiry();
  // /debug/certz: the CA's certificates, each workload's latest
  // certificate, and recent issuances and CA events.
  HttpResponse Certz() const;

  CitadelOptions options_;
  std::string serving_dir_;
  mutable absl::Mutex mu_;
  std::shared_ptr<mtls::CertificateSigner> signer_ ABSL_GUARDED_BY(mu_);
  absl::Time serving_renew_at_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<mtls::TokenSigner> tokens_;
  CertificateLog certificate_log_;
  std::unique_ptr<CaServer> ca_server_;
  // Whether serving_dir_ is a temporary folder of Citadel's own making.
  bool owns_serving_dir_ = false;
  prometheus::Gauge* root_expiry_ = nullptr;
  prometheus::Gauge* signing_expiry_ = nullptr;
  prometheus::Gauge* roots_trusted_ = nullptr;
  FileWatcher ca_files_;
  absl::Notification stopping_;
  std::thread maintainer_;
  std::unique_ptr<EtcdCaSync> etcd_ca_;  // set when replicas share a CA through etcd
  std::unique_ptr<RootRotator> rotator_;  // with etcd_ca_
};

}  // namespace keel::citadel

#endif  // KEEL_SERVICES_CITADEL_CITADEL_SERVICE_H_
