// keel-agent runs beside a workload: it keeps the workload's certificate
// current (CertificateManager), writes the gRPC xDS bootstrap that points
// the application at Pilot and at those certificate files, and serves them
// over SDS to an Envoy sidecar.
#ifndef KEEL_SERVICES_AGENT_AGENT_SERVICE_H_
#define KEEL_SERVICES_AGENT_AGENT_SERVICE_H_

#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include <memory>
#include <string>

#include "libs/common/service_host.h"
#include "libs/xds/bootstrap.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "services/agent/certificate_manager.h"
#include "services/agent/sds_server.h"

namespace keel::agent {

struct AgentOptions {
  CertificateManagerOptions certificates;
  // Written when set: the bootstrap (its node, Pilot's address); the
  // certificate provider points at certificates.cert_dir.
  std::string bootstrap_file;
  xds::BootstrapOptions bootstrap;
  std::string sds_socket;  // served when set
};

class AgentService : public Service {
 public:
  explicit AgentService(AgentOptions options);
  ~AgentService() override;

  std::string name() const override { return "keel-agent"; }
  absl::Status Start(ServiceContext& context) override;
  void Stop() override;

 private:
  void OnCertificate(const CertificateState& state);
  // Marks the agent not ready when the certificate it holds expires without
  // a renewal: ready means "holds a valid certificate".
  void WatchExpiry();

  AgentOptions options_;
  Readiness* readiness_ = nullptr;
  prometheus::Gauge* expiry_ = nullptr;
  prometheus::Counter* issued_ = nullptr;
  std::unique_ptr<SdsServer> sds_;
  std::unique_ptr<CertificateManager> certificates_;

  absl::Mutex expiry_mu_;
  absl::Time not_after_ ABSL_GUARDED_BY(expiry_mu_) = absl::InfinitePast();
  bool stopping_ ABSL_GUARDED_BY(expiry_mu_) = false;
  std::thread expiry_watch_;
};

}  // namespace keel::agent

#endif  // KEEL_SERVICES_AGENT_AGENT_SERVICE_H_
