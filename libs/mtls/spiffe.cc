#include "libs/mtls/spiffe.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace keel::mtls {

bool IsDnsLabel(absl::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') return false;
  }
  return name.front() != '-' && name.back() != '-';
}

bool IsDnsSubdomain(absl::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (!IsDnsLabel(label)) return false;
  }
  return true;
}

absl::StatusOr<SpiffeId> SpiffeId::Parse(absl::string_view uri) {
  constexpr absl::string_view kScheme = "spiffe://";
  if (!absl::StartsWith(uri, kScheme)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", uri, "\" is not a spiffe:// URI"));
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(uri.substr(kScheme.size()), '/');
  if (parts.size() != 5 || parts[1] != "ns" || parts[3] != "sa") {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", uri, "\" is not spiffe://<trust-domain>/ns/<namespace>/sa/<account>"));
  }
  if (!IsDnsSubdomain(parts[0])) {
    return absl::InvalidArgumentError(absl::StrCat("bad trust domain \"", parts[0], "\""));
  }
  if (!IsDnsLabel(parts[2])) {
    return absl::InvalidArgumentError(absl::StrCat("bad namespace \"", parts[2], "\""));
  }
  if (!IsDnsSubdomain(parts[4])) {
    return absl::InvalidArgumentError(absl::StrCat("bad service account \"", parts[4], "\""));
  }
  return SpiffeId{std::string(parts[0]), std::string(parts[2]), std::string(parts[4])};
}

std::string SpiffeId::ToString() const {
  return absl::StrCat("spiffe://", trust_domain, "/ns/", namespace_name, "/sa/", service_account);
}

}  // namespace keel::mtls
