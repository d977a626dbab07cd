#include "services/agent/sds_server.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"
#include "grpcpp/grpcpp.h"

namespace keel::agent {

class SdsServer::Source : public xds::ResourceSource {
 public:
  std::shared_ptr<const xds::TypeResources> Resources(
      const std::string& type_url, const envoy::config::core::v3::Node&) override {
    if (type_url != kSecretType) return nullptr;
    absl::MutexLock lock(&mu_);
    return secrets_;
  }
  bool Serves(const std::string& type_url) const override { return type_url == kSecretType; }
  bool Ready() const override {
    absl::MutexLock lock(&mu_);
    return secrets_ != nullptr;
  }

  void Set(const CertificateState& state) {
    using envoy::extensions::transport_sockets::tls::v3::Secret;
    auto secrets = std::make_shared<xds::TypeResources>();
    secrets->version = absl::StrCat(state.generation);
    Secret workload;
    workload.set_name(kWorkloadSecret);
    workload.mutable_tls_certificate()->mutable_certificate_chain()->set_inline_bytes(
        state.chain_pem);
    workload.mutable_tls_certificate()->mutable_private_key()->set_inline_bytes(state.key_pem);
    Secret root;
    root.set_name(kRootSecret);
    root.mutable_validation_context()->mutable_trusted_ca()->set_inline_bytes(state.roots_pem);
    for (const Secret* secret : {&workload, &root}) {
      auto resource = std::make_shared<xds::XdsResource>();
      resource->name = secret->name();
      resource->version = secrets->version;
      resource->body.PackFrom(*secret);
      secrets->resources[secret->name()] = std::move(resource);
    }
    absl::MutexLock lock(&mu_);
    secrets_ = std::move(secrets);
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const xds::TypeResources> secrets_ ABSL_GUARDED_BY(mu_);
};

// SDS's two streaming methods are ADS's, under another service name.
class SdsServer::Service : public envoy::service::secret::v3::SecretDiscoveryService::CallbackService {
 public:
  explicit Service(xds::AdsServer* ads) : ads_(ads) {}
  grpc::ServerBidiReactor<envoy::service::discovery::v3::DiscoveryRequest,
                          envoy::service::discovery::v3::DiscoveryResponse>*
  StreamSecrets(grpc::CallbackServerContext* context) override {
    return ads_->StreamAggregatedResources(context);
  }
  grpc::ServerBidiReactor<envoy::service::discovery::v3::DeltaDiscoveryRequest,
                          envoy::service::discovery::v3::DeltaDiscoveryResponse>*
  DeltaSecrets(grpc::CallbackServerContext* context) override {
    return ads_->DeltaAggregatedResources(context);
  }

 private:
  xds::AdsServer* ads_;
};

SdsServer::SdsServer() = default;

SdsServer::~SdsServer() {
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_->Wait();
  }
}

absl::StatusOr<std::unique_ptr<SdsServer>> SdsServer::Start(const std::string& path,
                                                            MetricsRegistry* metrics) {
  constexpr size_t kMaxUnixPath = sizeof(sockaddr_un::sun_path) - 1;
  if (path.size() > kMaxUnixPath) {
    return absl::InvalidArgumentError(absl::StrCat("--sds_socket ", path, ": a unix socket path has ",
                                                   kMaxUnixPath, " bytes at most"));
  }
  // Only a socket left by a previous agent is removed: the flag naming a
  // file by mistake must not delete it.
  struct stat existing;
  if (lstat(path.c_str(), &existing) == 0 && !S_ISSOCK(existing.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--sds_socket ", path, ": exists and is not a socket (",
        S_ISREG(existing.st_mode) ? "a regular file" : S_ISDIR(existing.st_mode) ? "a directory" : "not a socket",
        "); refusing to replace it"));
  }
  std::unique_ptr<SdsServer> sds(new SdsServer());
  sds->source_ = std::make_unique<Source>();
  sds->ads_ = std::make_unique<xds::AdsServer>(sds->source_.get(), metrics,
                                               xds::AdsServerOptions{.metrics_prefix = "agent_sds"});
  sds->service_ = std::make_unique<Service>(sds->ads_.get());
  unlink(path.c_str());  // a socket left by a previous agent (or nothing)
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + path, grpc::InsecureServerCredentials());
  builder.RegisterService(sds->service_.get());
  sds->server_ = builder.BuildAndStart();
  if (sds->server_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("SDS: cannot listen on unix socket ", path));
  }
  chmod(path.c_str(), 0600);
  return sds;
}

void SdsServer::Update(const CertificateState& state) {
  source_->Set(state);
  ads_->Push({kSecretType});
}

}  // namespace keel::agent
