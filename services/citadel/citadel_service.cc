#include "services/citadel/citadel_service.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/files.h"
#include "libs/etcd/client.h"
#include "libs/mtls/credentials.h"
#include "libs/mtls/key.h"
#include "libs/mtls/spiffe.h"
#include "prometheus/gauge.h"
#include "services/citadel/etcd_ca.h"
#include "spdlog/spdlog.h"

namespace keel::citadel {
namespace {

constexpr absl::Duration kServingCertTtl = absl::Hours(24);
constexpr absl::Duration kMaintainEvery = absl::Seconds(10);

}  // namespace

mtls::SignerConfig SignerConfigFor(const CitadelOptions& options) {
  return {{"dir", options.ca_dir},
          {"trust_domain", options.trust_domain},
          {"root_ttl", absl::FormatDuration(options.root_ttl)}};
}

CitadelService::CitadelService(CitadelOptions options) : options_(std::move(options)) {}

CitadelService::~CitadelService() { Stop(); }

std::shared_ptr<mtls::CertificateSigner> CitadelService::signer() const {
  absl::MutexLock lock(&mu_);
  return signer_;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> CitadelService::GrpcServerCredentials() {
  if (options_.ca_dir.empty()) return absl::InvalidArgumentError("--ca_dir is required");
  if (!mtls::IsDnsSubdomain(options_.trust_domain)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--trust_domain \"", options_.trust_domain, "\" is not a DNS name"));
  }
  const std::string key_file = options_.token_key_file.empty()
                                   ? absl::StrCat(options_.ca_dir, "/token-key")
                                   : options_.token_key_file;
  if (!options_.etcd_endpoints.empty()) {
    if (options_.ca_mode != "self-signed" || !options_.token_key_file.empty()) {
      return absl::InvalidArgumentError(
          "--etcd_endpoints shares a self-signed CA (and its token key in --ca_dir) between "
          "replicas; with cacerts, give every replica the same files instead");
    }
    absl::StatusOr<std::unique_ptr<etcd::EtcdClient>> client =
        etcd::EtcdClient::Connect({.endpoints = options_.etcd_endpoints});
    if (!client.ok()) return client.status();
    absl::StatusOr<std::unique_ptr<EtcdCaSync>> joined = EtcdCaSync::Join(
        std::shared_ptr<etcd::EtcdClient>(*std::move(client)), options_.ca_dir, [&]() -> absl::Status {
          // A CA of this replica's own, offered to the others.
          absl::StatusOr<std::unique_ptr<mtls::CertificateSigner>> made =
              mtls::NewSigner(options_.ca_mode, SignerConfigFor(options_));
          if (!made.ok()) return made.status();
          return mtls::TokenSigner::FromKeyFile(key_file, true).status();
        });
    if (!joined.ok()) {
      return absl::Status(joined.status().code(),
                          absl::StrCat("CA on etcd at ", absl::StrJoin(options_.etcd_endpoints, ","),
                                       ": ", joined.status().message()));
    }
    etcd_ca_ = *std::move(joined);
  }
  absl::StatusOr<std::unique_ptr<mtls::CertificateSigner>> signer =
      mtls::NewSigner(options_.ca_mode, SignerConfigFor(options_));
  if (!signer.ok()) {
    return absl::Status(signer.status().code(),
                        absl::StrCat("CA (", options_.ca_mode, "): ", signer.status().message()));
  }
  {
    absl::MutexLock lock(&mu_);
    signer_ = *std::move(signer);
  }
  absl::StatusOr<mtls::TokenSigner> tokens = mtls::TokenSigner::FromKeyFile(key_file, true);
  if (tokens.ok()) {
    tokens_ = std::make_unique<mtls::TokenSigner>(*std::move(tokens));
  } else {
    spdlog::warn("bootstrap tokens disabled: {}", std::string(tokens.status().message()));
  }
  serving_dir_ = options_.serving_dir;
  if (serving_dir_.empty()) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "keel-citadel-serving-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError("cannot make a folder for Citadel's serving certificate");
    }
    serving_dir_ = pattern;
    owns_serving_dir_ = true;  // holds key.pem: removed on a clean stop
  }
  std::error_code error;
  std::filesystem::create_directories(serving_dir_, error);
  if (absl::Status issued = IssueServingCertificate(); !issued.ok()) return issued;
  // A client may come without a certificate: its first request carries a
  // bootstrap token instead.
  return mtls::ServerCredentialsFromFiles(mtls::TlsFiles::InDirectory(serving_dir_),
                                          mtls::ClientCertificates::kVerifyIfGiven);
}

absl::Status CitadelService::IssueServingCertificate() {
  std::shared_ptr<mtls::CertificateSigner> signer = this->signer();
  absl::StatusOr<mtls::PrivateKey> key = mtls::PrivateKey::Generate();
  if (!key.ok()) return key.status();
  absl::StatusOr<mtls::PublicKey> public_key = key->Public();
  if (!public_key.ok()) return public_key.status();
  const mtls::SpiffeId self{options_.trust_domain, options_.namespace_name, "citadel"};
  absl::StatusOr<std::vector<mtls::Certificate>> chain =
      signer->Sign({.public_key = *std::move(public_key),
                    .uri_sans = {self.ToString()},
                    .dns_sans = options_.server_names,
                    .ip_sans = {"127.0.0.1", "::1"},
                    .ttl = kServingCertTtl});
  if (!chain.ok()) return chain.status();
  const mtls::TlsFiles files = mtls::TlsFiles::InDirectory(serving_dir_);
  // Roots first, then key and chain: gRPC reads them as they change.
  for (auto [path, content, mode] : std::vector<std::tuple<std::string, std::string, mode_t>>{
           {files.roots, mtls::ChainToPem(signer->Roots()), 0644},
           {files.private_key, key->ToPem(), 0600},
           {files.cert_chain, mtls::ChainToPem(*chain), 0644}}) {
    if (absl::Status written = WriteFileAtomically(path, content, mode); !written.ok()) {
      return written;
    }
  }
  const absl::Time issued = (*chain)[0].NotBefore();
  const absl::Time expires = (*chain)[0].NotAfter();
  absl::MutexLock lock(&mu_);
  serving_renew_at_ = issued + (expires - issued) / 2;
  return absl::OkStatus();
}

void CitadelService::RegisterGrpcServices(grpc::ServerBuilder& builder, MetricsRegistry& metrics) {
  ca_server_ = std::make_unique<CaServer>(
      CaPolicy{.trust_domain = options_.trust_domain,
               .default_ttl = options_.workload_cert_ttl,
               .max_ttl = options_.max_workload_cert_ttl,
               .certificates_per_second = options_.certificates_per_second,
               .certificate_burst = options_.certificate_burst},
      [this] { return signer(); }, tokens_.get(), metrics.registry(), &certificate_log_);
  builder.RegisterService(ca_server_.get());
  // A CSR is a few KB: anything much larger is refused by gRPC itself.
  builder.SetMaxReceiveMessageSize(64 * 1024);
}

absl::Status CitadelService::Start(ServiceContext& context) {
  auto gauge = [&](const char* name, const char* help) {
    return &prometheus::BuildGauge().Name(name).Help(help).Register(context.metrics.registry()).Add(
        {});
  };
  root_expiry_ = gauge("citadel_server_root_cert_expiry_timestamp",
                       "When the root certificate expires (seconds since the epoch).");
  signing_expiry_ = gauge("citadel_server_cert_chain_expiry_timestamp",
                          "When the certificate that signs workloads expires (seconds since the "
                          "epoch).");
  roots_trusted_ = gauge("citadel_server_trusted_roots", "Roots in the trust bundle.");
  UpdateExpiry();
  // Rotated roots and replaced CA files are picked up while running.
  if (absl::Status watching = ca_files_.Start(absl::StrCat(options_.ca_dir, "/root-cert.pem"),
                                              absl::Milliseconds(500), [this] { ReloadCa(); });
      !watching.ok()) {
    spdlog::warn("not watching the CA files: {}", std::string(watching.message()));
  }
  maintainer_ = std::thread([this] { Maintain(); });
  context.debug_pages.Handle("/debug/certz", [this](const HttpRequest&) { return Certz(); });
  if (etcd_ca_ != nullptr) {
    // Every replica stands for leader; the leader carries out rotations.
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    rotator_ = RootRotator::Start(
        etcd_ca_->client(), absl::StrCat("citadel@", host, ":", getpid()), options_.leader_lease,
        options_.ca_dir, [options = options_](const std::string& dir) {
          CitadelOptions scratch = options;
          scratch.ca_dir = dir;
          return mtls::NewSigner(scratch.ca_mode, SignerConfigFor(scratch));
        });
  }
  const mtls::Certificate root = signer()->Roots().front();
  spdlog::info("CA ({}) ready: root {} expires {}, serving certificate in {}", options_.ca_mode,
               root.SubjectText(), absl::FormatTime(root.NotAfter()), serving_dir_);
  context.readiness.SetReady();
  return absl::OkStatus();
}

void CitadelService::ReloadCa() {
  absl::StatusOr<std::unique_ptr<mtls::CertificateSigner>> reloaded =
      mtls::NewSigner(options_.ca_mode, SignerConfigFor(options_));
  if (!reloaded.ok()) {
    spdlog::error("CA files changed but cannot be used (still signing with the previous CA): {}",
                  std::string(reloaded.status().message()));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    signer_ = *std::move(reloaded);
  }
  std::shared_ptr<mtls::CertificateSigner> signer = this->signer();
  spdlog::info("CA reloaded: signing with {}, {} trusted roots",
               signer->SigningCertificate().SerialHex(), signer->Roots().size());
  certificate_log_.RecordCaEvent(absl::StrCat("CA reloaded: signing with ",
                                              signer->SigningCertificate().SerialHex(), ", ",
                                              signer->Roots().size(), " trusted roots"));
  // Citadel's own certificate and trust bundle follow the new CA.
  if (absl::Status issued = IssueServingCertificate(); !issued.ok()) {
    spdlog::error("renewing Citadel's serving certificate: {}", std::string(issued.message()));
  }
  UpdateExpiry();
}

HttpResponse CitadelService::Certz() const {
  std::shared_ptr<mtls::CertificateSigner> signer = this->signer();
  auto certificate = [](JsonWriter& json, const mtls::Certificate& cert) {
    json.BeginObject()
        .Key("subject").String(cert.SubjectText())
        .Key("serial").String(cert.SerialHex())
        .Key("notAfter").String(absl::FormatTime(absl::RFC3339_sec, cert.NotAfter(), absl::UTCTimeZone()))
        .Key("notAfterUnix").Int(absl::ToUnixSeconds(cert.NotAfter()))
        .EndObject();
  };
  JsonWriter json;
  json.BeginObject().Key("trustDomain").String(options_.trust_domain);
  if (signer != nullptr) {
    json.Key("signing");
    certificate(json, signer->SigningCertificate());
    json.Key("roots").BeginArray();
    for (const mtls::Certificate& root : signer->Roots()) certificate(json, root);
    json.EndArray();
  }
  certificate_log_.WriteJson(json);
  json.EndObject();
  return HttpResponse{.content_type = "application/json", .body = json.Take()};
}

void CitadelService::UpdateExpiry() {
  std::shared_ptr<mtls::CertificateSigner> signer = this->signer();
  if (signer == nullptr || root_expiry_ == nullptr) return;
  const std::vector<mtls::Certificate> roots = signer->Roots();
  const mtls::Certificate signing = signer->SigningCertificate();
  absl::Time root_expiry = absl::InfiniteFuture();
  for (const mtls::Certificate& root : roots) root_expiry = std::min(root_expiry, root.NotAfter());
  root_expiry_->Set(static_cast<double>(absl::ToUnixSeconds(root_expiry)));
  signing_expiry_->Set(static_cast<double>(absl::ToUnixSeconds(signing.NotAfter())));
  roots_trusted_->Set(static_cast<double>(roots.size()));
  const absl::Time now = absl::Now();
  for (auto [what, expiry] : std::vector<std::pair<const char*, absl::Time>>{
           {"root certificate", root_expiry}, {"signing certificate", signing.NotAfter()}}) {
    if (expiry - now < options_.expiry_warning) {
      spdlog::warn("the CA's {} expires {} (in {}): rotate it", what, absl::FormatTime(expiry),
                   absl::FormatDuration(absl::Trunc(expiry - now, absl::Minutes(1))));
    }
  }
}

void CitadelService::Maintain() {
  absl::Time next_expiry_check = absl::Now() + absl::Hours(1);
  while (!stopping_.WaitForNotificationWithTimeout(kMaintainEvery)) {
    absl::Time renew_at;
    {
      absl::MutexLock lock(&mu_);
      renew_at = serving_renew_at_;
    }
    if (absl::Now() >= renew_at) {
      if (absl::Status issued = IssueServingCertificate(); !issued.ok()) {
        spdlog::error("renewing Citadel's serving certificate: {}", std::string(issued.message()));
      }
    }
    if (absl::Now() >= next_expiry_check) {
      UpdateExpiry();
      next_expiry_check = absl::Now() + absl::Hours(1);
    }
  }
}

void CitadelService::Stop() {
  // Shutting down with etcd unreachable costs one attempt per call, not the
  // client's whole timeout (the orchestrator's grace period is not spent).
  if (etcd_ca_ != nullptr) etcd_ca_->client()->Close();
  rotator_.reset();  // resigns the lead, if held
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  if (maintainer_.joinable()) maintainer_.join();
  ca_files_.Stop();
  if (owns_serving_dir_) {
    std::error_code ignored;
    std::filesystem::remove_all(serving_dir_, ignored);
    owns_serving_dir_ = false;
  }
}

}  // namespace keel::citadel
