// The xDS bootstrap JSON a proxyless gRPC application reads from
// $GRPC_XDS_BOOTSTRAP: where Pilot is, who the node is, and (for mTLS) the
// file_watcher certificate provider that reads keel-agent's files. Written by
// `keelctl bootstrap` and by keel-agent.
#ifndef KEEL_LIBS_XDS_BOOTSTRAP_H_
#define KEEL_LIBS_XDS_BOOTSTRAP_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace keel::xds {

// The certificate provider instance Pilot's TLS contexts name, as Istio's.
inline constexpr char kCertificateProviderInstance[] = "default";

struct BootstrapOptions {
  std::string server_uri = "localhost:15010";  // Pilot
  std::string node_id;                         // required
  std::string cluster = "keel";
  std::string locality;                        // "region/zone/sub_zone", any part may be empty
  std::map<std::string, std::string> labels;   // node metadata LABELS (Sidecar selectors)
  // With a folder, a file_watcher provider named kCertificateProviderInstance
  // reads key.pem, cert-chain.pem and root-cert.pem there.
  std::string certificate_dir;
  absl::Duration certificate_refresh = absl::Seconds(5);
};

// BootstrapJson returns the bootstrap; InvalidArgument names a missing field.
absl::StatusOr<std::string> BootstrapJson(const BootstrapOptions& options);

}  // namespace keel::xds

#endif  // KEEL_LIBS_XDS_BOOTSTRAP_H_
