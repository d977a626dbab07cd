// mTLS for the control plane's own gRPC: Galley, Pilot and Mixer serve with
// a certificate Citadel issued (through a keel-agent writing --tls_cert_dir)
// and require one from their clients; Pilot and Mixer check that Galley is
// who --galley_identity says, and Galley serves MCP only to the identities
// --mcp_client_identities names. Plaintext is never a silent default: without
// --tls_cert_dir a binary starts only with --insecure_plaintext. The flags
// live here so that each binary that links this library has them.
#ifndef KEEL_LIBS_MTLS_CONTROL_PLANE_H_
#define KEEL_LIBS_MTLS_CONTROL_PLANE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_context.h"

namespace keel::mtls {

// CheckControlPlaneTransport says whether the flags choose a transport:
// --tls_cert_dir (mTLS) or --insecure_plaintext, not neither nor both.
// `binary` names the caller in the message.
absl::Status CheckControlPlaneTransport(const std::string& binary);

// Whether the control plane runs over mTLS (--tls_cert_dir is set).
bool ControlPlaneTls();

// The server credentials --tls_cert_dir asks for (mTLS, client certificates
// required), or null when it is not set (plaintext).
std::shared_ptr<grpc::ServerCredentials> ControlPlaneServerCredentials();

// Credentials for calling Galley: mTLS with --tls_cert_dir's certificate,
// accepting only --galley_identity; plaintext when --tls_cert_dir is not set.
std::shared_ptr<grpc::ChannelCredentials> GalleyClientCredentials();

// The SPIFFE id (URI SAN "spiffe://...") of the peer's verified client
// certificate, or "" when it presented none.
std::string PeerSpiffeId(const grpc::ServerContextBase& context);

// --mcp_client_identities: who may subscribe to Galley's MCP over mTLS.
std::vector<std::string> McpClientIdentities();

// McpAuthorizer is who may subscribe to Galley's MCP: with --tls_cert_dir,
// the --mcp_client_identities only; without it, null (anyone: the operator
// said --insecure_plaintext).
std::function<grpc::Status(const grpc::CallbackServerContext&)> McpAuthorizer();

// AllowIdentities answers OK when the peer's certificate carries one of
// `allowed`, else PERMISSION_DENIED naming whom it saw and who may.
grpc::Status AllowIdentities(const grpc::ServerContextBase& context,
                             const std::vector<std::string>& allowed, const std::string& what);

}  // namespace keel::mtls

#endif  // KEEL_LIBS_MTLS_CONTROL_PLANE_H_
