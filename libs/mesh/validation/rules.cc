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
  const size_t last_dot = labels.rfind('.');
  const absl::string_view tld =
      last_dot == absl::string_view::npos ? labels : labels.substr(last_dot + 1);
  int numeric = 0;
  if (!tld.empty() && absl::SimpleAtoi(tld, &numeric)) {
    return absl::StrCat("domain name \"", host, "\" invalid (top level domain \"", tld,
                        "\" cannot be all-numeric)");
  }
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
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(host, absl::MaxSplits('.', 1));
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
  if (port < 1 || port > 65535)
    return absl::StrCat("port number ", port, " must be in the range 1..65535");
  return "";
}

std::string CheckDuration(const google::protobuf::Duration& duration) {
  const int64_t nanos = duration.seconds() * 1000000000 + duration.nanos();
  if (nanos < 1000000) return "duration must be greater than 1ms";
  if (nanos % 1000000 != 0) return "only durations to ms precision are supported";
  return "";
}

std::string CheckPercent(double percent) {
  if (!(percent >= 0.0 && percent <= 100.0) || (percent > 0 && percent < 0.0001)) {
    return absl::StrCat("percentage ", percent, " is neither 0.0, nor in range [0.0001, 100.0]");
  }
  return "";
}

void CheckRegexWithinBudget(FieldErrors& errors, const std::string& field,
                            absl::string_view regex) {
  const bool already_overrun = errors.regex_budget_overrun();
  if (!errors.SpendRegexBytes(regex.size())) {
    if (!already_overrun) {  // one error for the resource, not one per regex
      errors.Error(field, absl::StrCat("too many regexes: this resource's regexes total more than ",
                                       kRegexBytesPerResource, " bytes"));
    }
    return;
  }
  Check(errors, field, CheckRegex(regex));
}

std::string CheckRegex(absl::string_view regex) {
  if (regex.empty()) return "regex must not be empty";
  if (regex.size() > kMaxRegexLength) {
    return absl::StrCat("regex is too large, max length allowed is ", kMaxRegexLength);
  }
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(re2::StringPiece(regex.data(), regex.size()), options);
  if (!re.ok()) {
    return absl::StrCat(
        "\"", regex, "\": ", re.error(),
        "; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)");
  }
  if (re.ProgramSize() > kMaxRegexProgramSize) {
    return absl::StrCat("regex \"", regex, "\" is too complex (program size ", re.ProgramSize(),
                        " > ", kMaxRegexProgramSize, ", the limit Envoy enforces)");
  }
  return "";
}

std::string CheckHeaderName(absl::string_view name) {
  if (name.empty()) return "header name cannot be empty";
  static const std::string kTokenChars = "!#$%&'*+-.^_`|~";
  for (char c : name) {
    if (!IsAlnum(c) && kTokenChars.find(c) == std::string::npos) {
      return absl::StrCat("header name ", name, " is not a valid header name");
    }
  }
  return "";
}

std::string CheckHeaderOperationName(absl::string_view name, bool allow_authority) {
  if (name.empty()) return "header name cannot be empty";
  const std::string lower = absl::AsciiStrToLower(name);
  if (allow_authority && (lower == "host" || lower == ":authority")) return "";
  if (lower == "host") return absl::StrCat("invalid header \"", name, "\": cannot set Host header");
  if (name.front() == ':')
    return absl::StrCat("invalid header \"", name, "\": header cannot have \":\" prefix");
  return CheckHeaderName(name);
}

std::string CheckIp(absl::string_view ip) {
  const std::string text(ip);
  unsigned char buffer[16];
  if (inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
      inet_pton(AF_INET6, text.c_str(), buffer) == 1) {
    return "";
  }
  return absl::StrCat(ip, " is not a valid IP");
}

std::string CheckCidr(absl::string_view cidr) {
  const size_t slash = cidr.find('/');
  if (slash == absl::string_view::npos) return absl::StrCat(cidr, " is not a valid CIDR block");
  const std::string address(cidr.substr(0, slash));
  int prefix = -1;
  unsigned char buffer[16];
  const bool v4 = inet_pton(AF_INET, address.c_str(), buffer) == 1;
  const bool v6 = !v4 && inet_pton(AF_INET6, address.c_str(), buffer) == 1;
  if ((!v4 && !v6) || !absl::SimpleAtoi(cidr.substr(slash + 1), &prefix) || prefix < 0 ||
      prefix > (v4 ? 32 : 128)) {
    return absl::StrCat(cidr, " is not a valid CIDR block");
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
      return absl::StrCat("invalid tag key: \"", key, "\"");
    }
  }
  static const RE2* const kName = new RE2("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
  if (name.empty() || name.size() > 63 ||
      !RE2::FullMatch(re2::StringPiece(name.data(), name.size()), *kName)) {
    return absl::StrCat("invalid tag key: \"", key, "\"");
  }
  return "";
}

std::string CheckLabelValue(absl::string_view value) {
  static const RE2* const kValue = new RE2("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
  if (value.size() > 63 || !RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *kValue)) {
    return absl::StrCat("invalid tag value: \"", value, "\"");
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
  for (const std::string& entry : export_to) {
    if (!seen.insert(entry).second)
      return absl::StrCat("duplicate entries in exportTo for entry ", entry);
    if (entry == "~") return "exportTo ~ (none) is not allowed for Istio configuration objects";
    if (entry != "." && entry != "*" && !IsDns1123Label(entry)) {
      return "only .,*, or a valid DNS 1123 label is allowed as exportTo entry";
    }
  }
  if (seen.count("*") > 0 && export_to.size() > 1) {
    return "cannot have both public (*) and non-public exportTo values for a resource";
  }
  return "";
}

std::string CheckNamespacedHost(absl::string_view value, bool gateway) {
  const size_t slash = value.find('/');
  if (slash == absl::string_view::npos) {
    if (!gateway) return "host must be of form namespace/dnsName";
    return value == "*" ? "" : CheckWildcardDomain(value);
  }
  absl::string_view ns = value.substr(0, slash);
  absl::string_view host = value.substr(slash + 1);
  if (ns.empty() || host.empty())
    return "config namespace and dnsName in host entry cannot be empty";
  absl::string_view bare_ns = !gateway && !ns.empty() && ns.front() == '~' ? ns.substr(1) : ns;
  if (bare_ns != "*" && bare_ns != "." && !bare_ns.empty() && !IsDns1123Label(bare_ns)) {
    return absl::StrCat("invalid namespace value \"", ns, "\" in ",
                        gateway ? "gateway" : "sidecar");
  }
  if (host == "*") return "";
  if (host.find('.') == absl::string_view::npos) return "short names (non FQDN) are not allowed";
  if (gateway && CheckIp(host).empty()) return "";
  if (std::string problem = CheckWildcardDomain(host); !problem.empty()) return problem;
  if (host.find('*') != absl::string_view::npos && host.substr(0, 2) != "*.") {
    return absl::StrCat("partial wildcard \"", host, "\" not allowed");
  }
  return "";
}

bool IsHttpMethod(absl::string_view method) {
  static const std::set<absl::string_view> kMethods = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"};
  return kMethods.count(method) > 0;
}

}  // namespace keel::mesh::validation
