#include "libs/mesh/hosts.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace keel::mesh {

std::string ToFqdn(const std::string& ns, const std::string& host, const std::string& domain) {
  if (!host.empty() && host[0] != '*' && host.find('.') == std::string::npos) {
    return absl::StrCat(host, ".", ns, ".svc.", domain);
  }
  return host;
}

bool HostsMatch(const std::string& a, const std::string& b) {
  const bool a_wild = !a.empty() && a[0] == '*';
  const bool b_wild = !b.empty() && b[0] == '*';
  if (a_wild && b_wild) {
    const std::string sa = a.substr(1), sb = b.substr(1);
    return sa.size() >= sb.size() ? absl::EndsWith(sa, sb) : absl::EndsWith(sb, sa);
  }
  if (a_wild) return absl::EndsWith(b, a.substr(1));
  if (b_wild) return absl::EndsWith(a, b.substr(1));
  return absl::EqualsIgnoreCase(a, b);
}

}  // namespace keel::mesh
