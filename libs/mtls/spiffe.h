// SPIFFE identities as Istio writes them:
// spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>.
#ifndef KEEL_LIBS_MTLS_SPIFFE_H_
#define KEEL_LIBS_MTLS_SPIFFE_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace keel::mtls {

struct SpiffeId {
  std::string trust_domain;
  std::string namespace_name;
  std::string service_account;

  // Parse reads a workload identity URI; InvalidArgument says which part is wrong.
  static absl::StatusOr<SpiffeId> Parse(absl::string_view uri);
  std::string ToString() const;
  bool operator==(const SpiffeId& other) const = default;
};

// IsDnsLabel: a Kubernetes name (namespace, service account) — lowercase
// letters, digits and '-', 1 to 63 characters, starting and ending alphanumeric.
bool IsDnsLabel(absl::string_view name);
// IsDnsSubdomain: dot-separated DNS labels, at most 253 characters (a trust
// domain, a service account name).
bool IsDnsSubdomain(absl::string_view name);

}  // namespace keel::mtls

#endif  // KEEL_LIBS_MTLS_SPIFFE_H_
