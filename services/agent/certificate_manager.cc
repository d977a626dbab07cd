#include "services/agent/certificate_manager.h"


#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "grpcpp/grpcpp.h"
#include "libs/common/files.h"
#include "libs/mtls/certificate.h"
#include "libs/mtls/credentials.h"
#include "proto/istio/security/v1alpha1/ca.grpc.pb.h"
#include "spdlog/spdlog.h"

namespace keel::agent {
namespace {

// Citadel's response metadata with the whole trust bundle (see
// services/citadel/ca_server.h); without it, the chain's last certificate.
constexpr char kTrustBundleHeader[] = "keel-trust-bundle-bin";

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace

CertificateManager::CertificateManager(CertificateManagerOptions options)
    : options_(std::move(options)), random_(std::random_device{}()) {}

CertificateManager::~CertificateManager() { Stop(); }

CertificateState CertificateManager::Current() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

absl::Status CertificateManager::LoadExisting() {
  const mtls::TlsFiles files = mtls::TlsFiles::InDirectory(options_.cert_dir);
  absl::StatusOr<std::string> key = ReadWholeFile(files.private_key);
  absl::StatusOr<std::string> chain = ReadWholeFile(files.cert_chain);
  absl::StatusOr<std::string> roots = ReadWholeFile(files.roots);
  if (!key.ok() || !chain.ok() || !roots.ok()) return absl::NotFoundError("no certificate yet");
  absl::StatusOr<mtls::PrivateKey> parsed_key = mtls::PrivateKey::FromPem(*key);
  absl::StatusOr<std::vector<mtls::Certificate>> parsed_chain =
      mtls::Certificate::ChainFromPem(*chain);
  if (!parsed_key.ok() || !parsed_chain.ok() || !(*parsed_chain)[0].MatchesKey(*parsed_key)) {
    return absl::DataLossError("the certificate files left there do not belong together");
  }
  const mtls::Certificate& leaf = (*parsed_chain)[0];
  if (leaf.NotAfter() <= absl::Now()) return absl::DeadlineExceededError("it has expired");
  absl::MutexLock lock(&mu_);
  state_ = CertificateState{.valid = true,
                            .key_pem = *key,
                            .chain_pem = *chain,
                            .roots_pem = *roots,
                            .identity = leaf.UriSans().empty() ? "" : leaf.UriSans()[0],
                            .not_before = leaf.NotBefore(),
                            .not_after = leaf.NotAfter(),
                            .received = absl::Now(),
                            .generation = state_.generation + 1};
  return absl::OkStatus();
}

absl::Status CertificateManager::RenewOnce() {
  absl::StatusOr<mtls::PrivateKey> key = mtls::PrivateKey::Generate(options_.key_type);
  if (!key.ok()) return key.status();
  mtls::CertificateRequest::Options csr_options;
  if (!options_.identity.empty()) csr_options.uri_sans = {options_.identity};
  absl::StatusOr<mtls::CertificateRequest> csr = mtls::CertificateRequest::Build(*key, csr_options);
  if (!csr.ok()) return csr.status();
  istio::v1::auth::IstioCertificateRequest request;
  request.set_csr(csr->ToPem());
  request.set_validity_duration(absl::ToInt64Seconds(options_.requested_ttl));

  const CertificateState current = Current();
  const mtls::TlsFiles files = mtls::TlsFiles::InDirectory(options_.cert_dir);
  const bool renewal = current.valid && current.not_after > absl::Now();
  // Citadel is verified with the bundle Citadel last gave (it holds a new
  // root while one rotates), or with the roots given for the first contact.
  std::string citadel_roots = renewal ? files.roots : options_.citadel_root_file;
  auto attempt = [&](bool with_certificate) -> absl::StatusOr<std::pair<
                                                 istio::v1::auth::IstioCertificateResponse, std::string>> {
    mtls::TlsFiles credentials{.roots = citadel_roots};
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (with_certificate) {
      credentials.private_key = files.private_key;
      credentials.cert_chain = files.cert_chain;
    } else {
      if (options_.token_file.empty()) {
        return absl::FailedPreconditionError("no certificate yet and no --token_file");
      }
      absl::StatusOr<std::string> token = ReadWholeFile(options_.token_file);
      if (!token.ok()) return token.status();
      context.AddMetadata("authorization",
                          absl::StrCat("Bearer ", absl::StripAsciiWhitespace(*token)));
    }
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // fresh credentials each time
    auto stub = istio::v1::auth::IstioCertificateService::NewStub(grpc::CreateCustomChannel(
        options_.citadel_address, mtls::ChannelCredentialsFromFiles(credentials), arguments));
    istio::v1::auth::IstioCertificateResponse response;
    grpc::Status status = stub->CreateCertificate(&context, request, &response);
    if (!status.ok()) return FromGrpc(status);
    std::string bundle;
    const auto& headers = context.GetServerInitialMetadata();
    if (auto it = headers.find(kTrustBundleHeader); it != headers.end()) {
      bundle.assign(it->second.data(), it->second.size());
    }
    return std::make_pair(std::move(response), std::move(bundle));
  };
  auto answer = attempt(renewal);
  if (!answer.ok() && renewal && !options_.token_file.empty() &&
      (answer.status().code() == absl::StatusCode::kUnauthenticated ||
       answer.status().code() == absl::StatusCode::kPermissionDenied ||
       answer.status().code() == absl::StatusCode::kUnavailable)) {
    // The current certificate is not accepted (or the handshake failed, as
    // after a CA change): the token still is.
    citadel_roots = options_.citadel_root_file.empty() ? files.roots : options_.citadel_root_file;
    answer = attempt(false);
  }
  if (!answer.ok()) return answer.status();
  const auto& [response, bundle] = *answer;
  if (response.cert_chain_size() == 0) return absl::InternalError("Citadel sent an empty chain");
  std::string chain_pem;
  for (const std::string& pem : response.cert_chain()) chain_pem += pem;
  absl::StatusOr<std::vector<mtls::Certificate>> chain = mtls::Certificate::ChainFromPem(chain_pem);
  if (!chain.ok()) return chain.status();
  const mtls::Certificate& leaf = (*chain)[0];
  if (!leaf.MatchesKey(*key)) return absl::InternalError("Citadel's certificate is for another key");
  const std::string roots_pem = bundle.empty() ? chain->back().ToPem() : bundle;
  absl::StatusOr<std::vector<mtls::Certificate>> roots = mtls::Certificate::ChainFromPem(roots_pem);
  if (!roots.ok()) return roots.status();
  if (absl::Status verified = mtls::VerifyChain(*chain, *roots); !verified.ok()) {
    return absl::InternalError(absl::StrCat("Citadel's chain does not verify: ", verified.message()));
  }
  // The three files change together: a reader (gRPC's file watcher) never
  // sees a new key beside the old certificate.
  if (absl::Status written = WriteFilesTogether(
          options_.cert_dir, {{.name = "root-cert.pem", .contents = roots_pem},
                              {.name = "key.pem", .contents = key->ToPem(), .mode = 0600},
                              {.name = "cert-chain.pem", .contents = chain_pem}});
      !written.ok()) {
    return written;
  }
  CertificateState next{.valid = true,
                        .key_pem = key->ToPem(),
                        .chain_pem = chain_pem,
                        .roots_pem = roots_pem,
                        .identity = leaf.UriSans().empty() ? "" : leaf.UriSans()[0],
                        .not_before = leaf.NotBefore(),
                        .not_after = leaf.NotAfter(),
                        .received = absl::Now()};
  {
    absl::MutexLock lock(&mu_);
    next.generation = state_.generation + 1;
    state_ = next;
  }
  spdlog::info("certificate for {} until {} ({} trusted roots)", next.identity,
               absl::FormatTime(next.not_after), roots->size());
  if (on_change_) on_change_(next);
  return absl::OkStatus();
}

absl::Time CertificateManager::NextRenewal(const CertificateState& state) {
  const absl::Time start = std::max(state.not_before, state.received);
  const absl::Duration lifetime = state.not_after - start;
  double jitter = 0;
  {
    absl::MutexLock lock(&mu_);
    jitter = std::uniform_real_distribution<double>(-options_.jitter_fraction,
                                                    options_.jitter_fraction)(random_);
  }
  return start + lifetime * (options_.renew_fraction + jitter);
}

void CertificateManager::Start(Listener on_change) {
  on_change_ = std::move(on_change);
  if (absl::Status loaded = LoadExisting(); loaded.ok()) {
    spdlog::info("using the certificate in {} until it is renewed", options_.cert_dir);
    if (on_change_) on_change_(Current());
  }
  thread_ = std::thread([this] { Loop(); });
}

void CertificateManager::Loop() {
  absl::Duration backoff = options_.initial_backoff;
  absl::Time next = absl::Now();
  {
    CertificateState current = Current();
    if (current.valid) next = NextRenewal(current);
  }
  while (!stopping_.WaitForNotificationWithTimeout(std::max(absl::ZeroDuration(),
                                                            next - absl::Now()))) {
    absl::Status renewed = RenewOnce();
    if (renewed.ok()) {
      backoff = options_.initial_backoff;
      next = NextRenewal(Current());
      continue;
    }
    const CertificateState current = Current();
    spdlog::warn("renewing the certificate failed ({}); {} retry in {}",
                 std::string(renewed.message()),
                 current.valid && current.not_after > absl::Now()
                     ? absl::StrCat("keeping the one valid until ", absl::FormatTime(current.not_after), ";")
                     : "no valid certificate;",
                 absl::FormatDuration(backoff));
    next = absl::Now() + backoff;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

void CertificateManager::Stop() {
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  if (thread_.joinable()) thread_.join();
}

}  // namespace keel::agent
