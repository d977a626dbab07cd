#include "services/agent/agent_service.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "libs/common/files.h"
#include "spdlog/spdlog.h"

namespace keel::agent {

AgentService::AgentService(AgentOptions options) : options_(std::move(options)) {}

AgentService::~AgentService() { Stop(); }

absl::Status AgentService::Start(ServiceContext& context) {
  readiness_ = &context.readiness;
  if (options_.certificates.cert_dir.empty()) {
    return absl::InvalidArgumentError("--cert_dir is required");
  }
  std::error_code error;
  std::filesystem::create_directories(options_.certificates.cert_dir, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat("--cert_dir ", options_.certificates.cert_dir,
                                                   ": ", error.message()));
  }
  expiry_ = &prometheus::BuildGauge()
                 .Name("keel_agent_cert_expiry_timestamp")
                 .Help("When the workload certificate expires (seconds since the epoch).")
                 .Register(context.metrics.registry())
                 .Add({});
  issued_ = &prometheus::BuildCounter()
                 .Name("keel_agent_certificates_total")
                 .Help("Workload certificates obtained (or found valid at start).")
                 .Register(context.metrics.registry())
                 .Add({});
  if (!options_.bootstrap_file.empty()) {
    xds::BootstrapOptions bootstrap = options_.bootstrap;
    bootstrap.certificate_dir = options_.certificates.cert_dir;
    absl::StatusOr<std::string> json = xds::BootstrapJson(bootstrap);
    if (!json.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("bootstrap: ", json.status().message()));
    }
    if (absl::Status written = WriteFileAtomically(options_.bootstrap_file, *json);
        !written.ok()) {
      return written;
    }
  }
  if (!options_.sds_socket.empty()) {
    absl::StatusOr<std::unique_ptr<SdsServer>> sds =
        SdsServer::Start(options_.sds_socket, &context.metrics);
    if (!sds.ok()) return sds.status();
    sds_ = *std::move(sds);
  }
  readiness_->SetNotReady("no workload certificate yet");
  certificates_ = std::make_unique<CertificateManager>(options_.certificates);
  certificates_->Start([this](const CertificateState& state) { OnCertificate(state); });
  expiry_watch_ = std::thread([this] { WatchExpiry(); });
  return absl::OkStatus();
}

void AgentService::WatchExpiry() {
  absl::MutexLock lock(&expiry_mu_);
  while (!stopping_) {
    const absl::Time not_after = not_after_;
    auto changed = [this, not_after]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(expiry_mu_) {
      return stopping_ || not_after_ != not_after;
    };
    if (not_after == absl::InfinitePast()) {
      expiry_mu_.Await(absl::Condition(&changed));
      continue;
    }
    if (expiry_mu_.AwaitWithDeadline(absl::Condition(&changed), not_after)) continue;
    readiness_->SetNotReady(absl::StrCat("the workload certificate expired at ",
                                         absl::FormatTime(not_after),
                                         " and Citadel has not renewed it yet"));
    expiry_mu_.Await(absl::Condition(&changed));
  }
}

void AgentService::OnCertificate(const CertificateState& state) {
  expiry_->Set(static_cast<double>(absl::ToUnixSeconds(state.not_after)));
  issued_->Increment();
  if (sds_ != nullptr) sds_->Update(state);
  {
    absl::MutexLock lock(&expiry_mu_);
    not_after_ = state.not_after;
  }
  if (state.not_after > absl::Now()) readiness_->SetReady();
}

void AgentService::Stop() {
  if (certificates_ != nullptr) certificates_->Stop();
  {
    absl::MutexLock lock(&expiry_mu_);
    stopping_ = true;
  }
  if (expiry_watch_.joinable()) expiry_watch_.join();
  sds_.reset();
}

}  // namespace keel::agent
