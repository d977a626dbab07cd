#include "libs/mtls/control_plane.h"

#include <algorithm>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/mtls/credentials.h"

ABSL_FLAG(std::string, tls_cert_dir, "",
          "Serve gRPC over mutual TLS with key.pem, cert-chain.pem and root-cert.pem in this "
          "folder (a keel-agent's --cert_dir), requiring client certificates; and call Galley "
          "with them. Required unless --insecure_plaintext.");
ABSL_FLAG(bool, insecure_plaintext, false,
          "INSECURE: without --tls_cert_dir, serve gRPC in plaintext to anyone who reaches the "
          "port (the whole config, policy checks and reports, unauthenticated) and call Galley "
          "in plaintext. For a trusted network, tests and a local demo only.");
ABSL_FLAG(std::string, galley_identity, "spiffe://cluster.local/ns/keel-system/sa/keel-galley",
          "With --tls_cert_dir: the SPIFFE id Galley's certificate must carry.");
ABSL_FLAG(std::vector<std::string>, mcp_client_identities,
          std::vector<std::string>({"spiffe://cluster.local/ns/keel-system/sa/keel-pilot",
                                    "spiffe://cluster.local/ns/keel-system/sa/keel-mixer",
                                    "spiffe://cluster.local/ns/keel-system/sa/keel-istiod"}),
          "With --tls_cert_dir: the SPIFFE ids that may subscribe to Galley's MCP "
          "(comma-separated); others are refused with PERMISSION_DENIED.");

namespace keel::mtls {

absl::Status CheckControlPlaneTransport(const std::string& binary) {
  const bool tls = !absl::GetFlag(FLAGS_tls_cert_dir).empty();
  const bool plaintext = absl::GetFlag(FLAGS_insecure_plaintext);
  if (tls && plaintext) {
    return absl::InvalidArgumentError(
        "--tls_cert_dir and --insecure_plaintext: choose one (mutual TLS, or plaintext)");
  }
  if (!tls && !plaintext) {
    return absl::InvalidArgumentError(absl::StrCat(
        binary, " serves the control plane over mutual TLS: give --tls_cert_dir (a keel-agent's "
        "certificate folder), or --insecure_plaintext to serve anyone who reaches the port in "
        "plaintext"));
  }
  return absl::OkStatus();
}

bool ControlPlaneTls() { return !absl::GetFlag(FLAGS_tls_cert_dir).empty(); }

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

std::string PeerSpiffeId(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return "";
  for (const grpc::string_ref& san : auth->FindPropertyValues("x509_subject_alternative_name")) {
    const std::string value(san.data(), san.size());
    if (absl::StartsWith(value, "spiffe://")) return value;
  }
  return "";
}

std::vector<std::string> McpClientIdentities() { return absl::GetFlag(FLAGS_mcp_client_identities); }

std::function<grpc::Status(const grpc::CallbackServerContext&)> McpAuthorizer() {
  if (!ControlPlaneTls()) return nullptr;
  return [allowed = McpClientIdentities()](const grpc::CallbackServerContext& context) {
    return AllowIdentities(context, allowed, "Galley's MCP");
  };
}

grpc::Status AllowIdentities(const grpc::ServerContextBase& context,
                             const std::vector<std::string>& allowed, const std::string& what) {
  const std::string peer = PeerSpiffeId(context);
  if (!peer.empty() && std::find(allowed.begin(), allowed.end(), peer) != allowed.end()) {
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat(what, " is served to ", absl::StrJoin(allowed, ", "),
                                   " only; this peer is ",
                                   peer.empty() ? "without a SPIFFE certificate" : peer));
}

}  // namespace keel::mtls
