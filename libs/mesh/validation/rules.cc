#include "libs/mesh/validation/rules.h"

#include <arpa/inet.h>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "re2/re2.h"

namespace keel::mesh::validation {
namespace {

bool IsAlnum(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }

// A DNS-1123 label, case-insensitive (host names are; Kubernetes object
// names are checked lower-case by IsDns1123Label).
bool IsHostLabel(absl::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (!IsAlnum(label.front()) || !IsAlnum(label.back())) return false;
  for (char c : label) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

std::string CheckDnsLength(absl::string_view host) {
  if (host.empty()) return "empty domain name not allowed";
  if (host.size() > 255) return absl::StrCat("domain name \"", host, "\" too long (max 255)");
  return "";
}

std::string CheckLabels(absl::string_view host, absl::string_view labels) {
  if (!labels.empty() && labels.back() == '.') labels.remove_suffix(1);  // absolute name
  for (absl::string_view label : absl::StrSplit(labels, '.')) {
    if (!IsHostLabel(label)) {
      return absl::StrCat("domain name \"", host, "\" invalid (label \"", label, "\" invalid)");
    }
  }
  return "";
}

}  // namespace

bool IsDns1123Label(absl::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return s.front() != '-' && s.back() != '-';
}

bool IsDns1123Subdomain(absl::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(s, '.')) {
    if (!IsDns1123Label(label)) return false;
  }
  return true;
}

std::string CheckFqdn(absl::string_view host) {
  if (std::string problem = CheckDnsLength(host); !problem.empty()) return problem;
  return CheckLabels(host, host);
}

std::string CheckWildcardDomain(absl::string_view host) {
  if (std::string problem = CheckDnsLength(host); !problem.empty()) return problem;
  std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(host, absl::MaxSplits('.', 1));
  absl::string_view first = parts.first;
  // The first label may be "*" or "*suffix"; the rest are plain labels.
  absl::string_view without_star = first;
  if (!without_star.empty() && without_star.front() == '*') without_star.remove_prefix(1);
  const bool first_ok =
      first == "*" || (first.size() <= 63 && !without_star.empty() && IsHostLabel(without_star));
  if (!first_ok) {
    return absl::StrCat("domain name \"", host, "\" invalid (label \"", first, "\" invalid)");
  }
  if (host.find('.') == absl::string_view::npos) return "";
  return CheckLabels(host, parts.second);
}

std::string CheckPort(int64_t port) {
  if (port < 1 || port > 65535) return absl::StrCat("port number ", port, " must be in the range 1..65535");
  return "";
}

std::string CheckDuration(const google::protobuf::Duration& duration) {
  const int64_t nanos = duration.seconds() * 1000000000 + duration.nanos();
  if (nanos < 1000000) return "duration must be greater than 1ms";
  if (nanos % 1000000 != 0) return "only durations to ms precision are supported";
  return "";
}

std::string CheckPercent(double percent) {
  if (!(percent >= 0.0 && percent <= 100.0)) {
    return absl::StrCat("percentage ", percent, " is not in range 0..100");
  }
  return "";
}

std::string CheckRegex(absl::string_view regex) {
  if (regex.empty()) return "regex must not be empty";
  if (regex.size() > kMaxRegexLength) {
    return absl::StrCat("regex is ", regex.size(), " characters long (max ", kMaxRegexLength, ")");
  }
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(re2::StringPiece(regex.data(), regex.size()), options);
  if (!re.ok()) return absl::StrCat("\"", regex, "\" is not a valid RE2 regex: ", re.error());
  if (re.ProgramSize() > kMaxRegexProgramSize) {
    return absl::StrCat("regex \"", regex, "\" is too complex (program size ", re.ProgramSize(),
                        " > ", kMaxRegexProgramSize, ", the limit Envoy enforces)");
  }
  return "";
}

std::string CheckHeaderName(absl::string_view name) {
  if (name.empty()) return "header name must not be empty";
  static const std::string kTokenChars = "!#$%&'*+-.^_`|~";
  for (char c : name) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
      return absl::StrCat("header name \"", name, "\" must be lowercase");
    }
    if (!IsAlnum(c) && kTokenChars.find(c) == std::string::npos) {
      return absl::StrCat("header name \"", name, "\" is not a valid HTTP header name");
    }
  }
  return "";
}

std::string CheckIp(absl::string_view ip) {
  const std::string text(ip);
  unsigned char buffer[16];
  if (inet_pton(AF_INET, text.c_str(), buffer) == 1 || inet_pton(AF_INET6, text.c_str(), buffer) == 1) {
    return "";
  }
  return absl::StrCat("\"", ip, "\" is not a valid IP address");
}

std::string CheckCidr(absl::string_view cidr) {
  const size_t slash = cidr.find('/');
  if (slash == absl::string_view::npos) return absl::StrCat("\"", cidr, "\" is not a valid CIDR block");
  const std::string address(cidr.substr(0, slash));
  int prefix = -1;
  unsigned char buffer[16];
  const bool v4 = inet_pton(AF_INET, address.c_str(), buffer) == 1;
  const bool v6 = !v4 && inet_pton(AF_INET6, address.c_str(), buffer) == 1;
  if ((!v4 && !v6) || !absl::SimpleAtoi(cidr.substr(slash + 1), &prefix) || prefix < 0 ||
      prefix > (v4 ? 32 : 128)) {
    return absl::StrCat("\"", cidr, "\" is not a valid CIDR block");
  }
  return "";
}

std::string CheckIpOrCidr(absl::string_view value) {
  return value.find('/') == absl::string_view::npos ? CheckIp(value) : CheckCidr(value);
}

std::string CheckLabelKey(absl::string_view key) {
  absl::string_view name = key;
  if (size_t slash = key.find('/'); slash != absl::string_view::npos) {
    absl::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (!IsDns1123Subdomain(prefix)) {
      return absl::StrCat("invalid label key \"", key, "\": prefix must be a DNS subdomain");
    }
  }
  static const RE2* const kName = new RE2("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
  if (name.empty() || name.size() > 63 || !RE2::FullMatch(re2::StringPiece(name.data(), name.size()), *kName)) {
    return absl::StrCat("invalid label key \"", key, "\"");
  }
  return "";
}

std::string CheckLabelValue(absl::string_view value) {
  static const RE2* const kValue = new RE2("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
  if (value.size() > 63 || !RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *kValue)) {
    return absl::StrCat("invalid label value \"", value, "\"");
  }
  return "";
}

std::string CheckLabels(const std::map<std::string, std::string>& labels) {
  for (const auto& [key, value] : labels) {
    if (std::string problem = CheckLabelKey(key); !problem.empty()) return problem;
    if (std::string problem = CheckLabelValue(value); !problem.empty()) return problem;
  }
  return "";
}

std::string CheckNamespaceName(absl::string_view ns) {
  if (!IsDns1123Label(ns)) return absl::StrCat("invalid namespace \"", ns, "\"");
  return "";
}

std::string CheckExportToList(const std::vector<std::string>& export_to) {
  std::set<std::string> seen;
  bool all = false;
  for (const std::string& entry : export_to) {
    if (!seen.insert(entry).second) return absl::StrCat("duplicate entry in exportTo: \"", entry, "\"");
    if (entry == "*") {
      all = true;
    } else if (entry != "." && entry != "~") {
      if (std::string problem = CheckNamespaceName(entry); !problem.empty()) {
        return absl::StrCat("invalid exportTo value \"", entry, "\"");
      }
    }
  }
  if (all && export_to.size() > 1) return "exportTo \"*\" must be the only entry";
  return "";
}

std::string CheckNamespacedHost(absl::string_view value) {
  const size_t slash = value.find('/');
  if (slash == absl::string_view::npos) {
    return absl::StrCat("host \"", value, "\" must be of form namespace/dnsName");
  }
  absl::string_view ns = value.substr(0, slash);
  absl::string_view host = value.substr(slash + 1);
  if (ns != "*" && ns != "." && ns != "~" && !CheckNamespaceName(ns).empty()) {
    return absl::StrCat("invalid namespace \"", ns, "\" in host \"", value, "\"");
  }
  if (host == "*") return "";
  return CheckWildcardDomain(host);
}

bool IsHttpMethod(absl::string_view method) {
  static const std::set<absl::string_view> kMethods = {"GET",     "HEAD",    "POST",  "PUT",
                                                      "DELETE",  "CONNECT", "OPTIONS", "TRACE",
                                                      "PATCH"};
  return kMethods.count(method) > 0;
}

}  // namespace keel::mesh::validation
