#include "libs/mtls/control_plane.h"

#include <string>

#include "absl/flags/flag.h"
#include "libs/mtls/credentials.h"

ABSL_FLAG(std::string, tls_cert_dir, "",
          "Serve gRPC over mutual TLS with key.pem, cert-chain.pem and root-cert.pem in this "
          "folder (a keel-agent's --cert_dir), requiring client certificates; and call Galley "
          "with them. Empty: plaintext.");
ABSL_FLAG(std::string, galley_identity, "spiffe://cluster.local/ns/keel-system/sa/keel-galley",
          "With --tls_cert_dir: the SPIFFE id Galley's certificate must carry.");

namespace keel::mtls {

std::shared_ptr<grpc::ServerCredentials> ControlPlaneServerCredentials() {
  const std::string dir = absl::GetFlag(FLAGS_tls_cert_dir);
  if (dir.empty()) return nullptr;
  return ServerCredentialsFromFiles(TlsFiles::InDirectory(dir), ClientCertificates::kRequire);
}

std::shared_ptr<grpc::ChannelCredentials> GalleyClientCredentials() {
  const std::string dir = absl::GetFlag(FLAGS_tls_cert_dir);
  if (dir.empty()) return grpc::InsecureChannelCredentials();
  return ChannelCredentialsFromFiles(TlsFiles::InDirectory(dir), kCredentialRefresh,
                                     absl::GetFlag(FLAGS_galley_identity));
}

}  // namespace keel::mtls
