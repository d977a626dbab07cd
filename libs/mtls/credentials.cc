#include "libs/mtls/credentials.h"

#include <algorithm>

#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace keel::mtls {
namespace {

// Accepts a verified peer only if its certificate names `expected` (a URI SAN).
class SpiffeIdVerifier : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit SpiffeIdVerifier(std::string expected) : expected_(std::move(expected)) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)>, grpc::Status* sync_status) override {
    for (const grpc::string_ref& uri : request->uri_names()) {
      if (std::string(uri.data(), uri.size()) == expected_) {
        *sync_status = grpc::Status::OK;
        return true;
      }
    }
    *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                "the peer's certificate does not name " + expected_);
    return true;
  }
  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

 private:
  const std::string expected_;
};

unsigned int RefreshSeconds(absl::Duration refresh) {
  return static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(refresh)));
}

}  // namespace

TlsFiles TlsFiles::InDirectory(const std::string& dir) {
  return TlsFiles{.private_key = dir + "/key.pem",
                  .cert_chain = dir + "/cert-chain.pem",
                  .roots = dir + "/root-cert.pem"};
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFromFiles(
    const TlsFiles& files, ClientCertificates client_certificates, absl::Duration refresh) {
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.private_key, files.cert_chain, files.roots, RefreshSeconds(refresh));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(client_certificates == ClientCertificates::kRequire
                                    ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                    : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  return grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFromFiles(
    const TlsFiles& files, absl::Duration refresh, const std::string& peer_spiffe_id) {
  const bool has_identity = !files.private_key.empty() && !files.cert_chain.empty();
  auto provider =
      has_identity ? std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
                         files.private_key, files.cert_chain, files.roots, RefreshSeconds(refresh))
                   : std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
                         files.roots, RefreshSeconds(refresh));
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider);
  options.watch_root_certs();
  if (has_identity) options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  if (!peer_spiffe_id.empty()) {
    options.set_check_call_host(false);
    options.set_certificate_verifier(
        grpc::experimental::ExternalCertificateVerifier::Create<SpiffeIdVerifier>(peer_spiffe_id));
  }
  return grpc::experimental::TlsCredentials(options);
}

}  // namespace keel::mtls
