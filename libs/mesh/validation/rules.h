// Shared validation rules, as Istio applies them (pkg/config/validation,
// pkg/config/labels). Each returns "" when the value is valid, otherwise the
// reason, worded like Istio's message.
#ifndef KEEL_LIBS_MESH_VALIDATION_RULES_H_
#define KEEL_LIBS_MESH_VALIDATION_RULES_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "google/protobuf/duration.pb.h"
#include "libs/mesh/validation/field_errors.h"

namespace keel::mesh::validation {

// Regexes in config are RE2 with Envoy's default complexity bound: a regex
// whose compiled program is larger than this is NACKed by Envoy, so Keel
// rejects it first.
inline constexpr int kMaxRegexProgramSize = 100;
inline constexpr size_t kMaxRegexLength = 1024;

bool IsDns1123Label(absl::string_view s);      // "reviews", max 63
bool IsDns1123Subdomain(absl::string_view s);  // "reviews.default", max 253

// CheckFqdn: a DNS name made of DNS-1123 labels (a trailing dot allowed).
std::string CheckFqdn(absl::string_view host);
// CheckWildcardDomain: like CheckFqdn, but the first label may be "*" or
// start with "*" ("*.example.com", "*").
std::string CheckWildcardDomain(absl::string_view host);
// CheckPort: 1..65535.
std::string CheckPort(int64_t port);
// CheckDuration: at least 1ms.
std::string CheckDuration(const google::protobuf::Duration& duration);
// CheckPercent: 0, or 0.0001..100 (fault and mirror percentages).
std::string CheckPercent(double percent);
// CheckRegex: compiles with RE2 within the bounds above.
std::string CheckRegex(absl::string_view regex);
// CheckRegexWithinBudget: CheckRegex on `field`, charged to the resource's
// regex budget; past it, one error and no more compiling.
void CheckRegexWithinBudget(FieldErrors& errors, const std::string& field, absl::string_view regex);
// CheckHeaderName: an HTTP header name (RFC 7230 token).
std::string CheckHeaderName(absl::string_view name);
// CheckHeaderOperationName: a header a route adds, sets or removes; never a
// pseudo-header, and Host only where `allow_authority` (request add/set).
std::string CheckHeaderOperationName(absl::string_view name, bool allow_authority);
// CheckIp / CheckCidr: an IPv4/IPv6 address, or address/prefix.
std::string CheckIp(absl::string_view ip);
std::string CheckCidr(absl::string_view cidr);
// CheckIpOrCidr: either of the above.
std::string CheckIpOrCidr(absl::string_view value);
// CheckLabels: Kubernetes label keys ([prefix/]name) and values.
std::string CheckLabels(const std::map<std::string, std::string>& labels);
std::string CheckLabelKey(absl::string_view key);
std::string CheckLabelValue(absl::string_view value);
// CheckNamespaceName: a Kubernetes namespace name (DNS-1123 label).
std::string CheckNamespaceName(absl::string_view ns);
// CheckExportTo: "." , "*" or namespace names, no duplicates, "*" alone.
template <typename Container>
std::string CheckExportTo(const Container& export_to);
std::string CheckExportToList(const std::vector<std::string>& export_to);
// CheckNamespacedHost: the "namespace/host" form of Gateway servers' and
// Sidecar egress hosts ("*/foo.com", "./foo.com", "ns/*"); a Gateway also
// accepts a bare host.
std::string CheckNamespacedHost(absl::string_view value, bool gateway);
// CheckHttpMethod: an HTTP method name.
bool IsHttpMethod(absl::string_view method);

template <typename Container>
std::string CheckExportTo(const Container& export_to) {
  return CheckExportToList(std::vector<std::string>(export_to.begin(), export_to.end()));
}

}  // namespace keel::mesh::validation

#endif  // KEEL_LIBS_MESH_VALIDATION_RULES_H_
