// gRPC TLS credentials from files that reload when the files change: the
// layout keel-agent writes and gRPC's file_watcher certificate provider
// reads (key.pem, cert-chain.pem, root-cert.pem). Servers and clients built
// on these pick up a renewed certificate or a new root bundle without a
// restart.
#ifndef KEEL_LIBS_MTLS_CREDENTIALS_H_
#define KEEL_LIBS_MTLS_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace keel::mtls {

struct TlsFiles {
  std::string private_key;  // PEM key, e.g. <dir>/key.pem
  std::string cert_chain;   // PEM chain, leaf first, e.g. <dir>/cert-chain.pem
  std::string roots;        // PEM roots to trust, e.g. <dir>/root-cert.pem

  // InDirectory names the three files in keel-agent's layout.
  static TlsFiles InDirectory(const std::string& dir);
};

enum class ClientCertificates {
  kRequire,         // mTLS: a client without a certificate the roots verify is refused
  kVerifyIfGiven,   // a client may come without one (e.g. a bootstrap token instead)
};

// How often the files are read again.
inline constexpr absl::Duration kCredentialRefresh = absl::Seconds(1);

std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFromFiles(
    const TlsFiles& files, ClientCertificates client_certificates,
    absl::Duration refresh = kCredentialRefresh);

// ChannelCredentialsFromFiles verifies the server against `files.roots`;
// with a key and chain it also presents them (mTLS). Leave
// private_key/cert_chain empty for a client that has no certificate yet.
// The server's name is checked against the target's host, or, when
// `peer_spiffe_id` is given, its certificate must carry that URI SAN
// instead (mesh workloads are named by identity, not by host).
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFromFiles(
    const TlsFiles& files, absl::Duration refresh = kCredentialRefresh,
    const std::string& peer_spiffe_id = "");

}  // namespace keel::mtls

#endif  // KEEL_LIBS_MTLS_CREDENTIALS_H_
