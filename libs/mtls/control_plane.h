// mTLS for the control plane's own gRPC: Galley, Pilot and Mixer serve with
// a certificate Citadel issued (through a keel-agent writing --tls_cert_dir)
// and require one from their clients; Pilot and Mixer check that Galley is
// who --galley_identity says. The flags live here so that each binary that
// links this library has them.
#ifndef KEEL_LIBS_MTLS_CONTROL_PLANE_H_
#define KEEL_LIBS_MTLS_CONTROL_PLANE_H_

#include <memory>

#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace keel::mtls {

// The server credentials --tls_cert_dir asks for (mTLS, client certificates
// required), or null when it is not set (plaintext).
std::shared_ptr<grpc::ServerCredentials> ControlPlaneServerCredentials();

// Credentials for calling Galley: mTLS with --tls_cert_dir's certificate,
// accepting only --galley_identity; plaintext when --tls_cert_dir is not set.
std::shared_ptr<grpc::ChannelCredentials> GalleyClientCredentials();

}  // namespace keel::mtls

#endif  // KEEL_LIBS_MTLS_CONTROL_PLANE_H_
