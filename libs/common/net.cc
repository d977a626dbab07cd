#include "libs/common/net.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace keel {

absl::StatusOr<HostPort> ParseHostPort(const std::string& address) {
  auto invalid = [&](const char* why) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad address \"", address, "\": ", why, " (want host:port)"));
  };
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return invalid("no port");
  HostPort result;
  result.host = address.substr(0, colon);
  if (result.host.size() >= 2 && result.host.front() == '[' && result.host.back() == ']') {
    result.host = result.host.substr(1, result.host.size() - 2);
  } else if (result.host.find(':') != std::string::npos) {
    return invalid("IPv6 hosts need brackets");
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port > 65535) {
    return invalid("port is not a number from 0 to 65535");
  }
  result.port = static_cast<uint16_t>(port);
  return result;
}

std::string JoinHostPort(const std::string& host, uint16_t port) {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

std::string GrpcListenAddress(const std::string& address) {
  absl::StatusOr<HostPort> host_port = ParseHostPort(address);
  if (!host_port.ok() || !host_port->host.empty()) return address;
  return JoinHostPort("::", host_port->port);
}

bool AbslParseFlag(absl::string_view text, ListenAddress* address, std::string* error) {
  const std::string value(text.data(), text.size());
  if (!value.empty()) {
    absl::StatusOr<HostPort> parsed = ParseHostPort(value);
    if (!parsed.ok()) {
      *error = std::string(parsed.status().message());
      return false;
    }
  }
  address->value = value;
  return true;
}

std::string AbslUnparseFlag(const ListenAddress& address) { return address.value; }

absl::Status CheckCanListen(const std::string& address) {
  absl::StatusOr<HostPort> host_port = ParseHostPort(address);
  if (!host_port.ok()) return host_port.status();
  struct addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  struct addrinfo* found = nullptr;
  const std::string port = std::to_string(host_port->port);
  int rc = getaddrinfo(host_port->host.empty() ? nullptr : host_port->host.c_str(), port.c_str(),
                       &hints, &found);
  if (rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve \"", address, "\": ", gai_strerror(rc)));
  }
  absl::Status status = absl::OkStatus();
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd < 0) {
    status = absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  } else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
             bind(fd, found->ai_addr, found->ai_addrlen) != 0 || listen(fd, 1) != 0) {
    status = absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ": ", std::strerror(errno)));
  }
  if (fd >= 0) close(fd);
  freeaddrinfo(found);
  return status;
}

bool IsLoopbackGrpcPeer(absl::string_view peer) {
  return absl::StartsWith(peer, "ipv4:127.") || absl::StartsWith(peer, "ipv6:[::1]:") ||
         absl::StartsWith(peer, "ipv6:[::ffff:127.") || absl::StartsWith(peer, "unix:");
}

std::string GrpcTargetFor(absl::string_view addresses) {
  if (addresses.find(',') == absl::string_view::npos || addresses.find(':') == absl::string_view::npos) {
    return std::string(addresses);
  }
  std::vector<std::string> parts = absl::StrSplit(addresses, ',', absl::SkipEmpty());
  if (parts.empty() || absl::StrContains(parts.front(), "://") ||
      absl::StartsWith(parts.front(), "ipv4:") || absl::StartsWith(parts.front(), "ipv6:")) {
    return std::string(addresses);
  }
  bool all_v4 = true, all_v6 = true;
  for (const std::string& part : parts) {
    absl::StatusOr<HostPort> parsed = ParseHostPort(part);
    in_addr v4;
    in6_addr v6;
    const bool is_v4 = parsed.ok() && inet_pton(AF_INET, parsed->host.c_str(), &v4) == 1;
    const bool is_v6 = parsed.ok() && inet_pton(AF_INET6, parsed->host.c_str(), &v6) == 1;
    all_v4 &= is_v4;
    all_v6 &= is_v6;
  }
  if (all_v4) return "ipv4:" + absl::StrJoin(parts, ",");
  if (all_v6) return "ipv6:" + absl::StrJoin(parts, ",");
  return "dns:///" + parts.front();
}

}  // namespace keel
