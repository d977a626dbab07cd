// Small helpers for listen addresses.
#ifndef KEEL_LIBS_COMMON_NET_H_
#define KEEL_LIBS_COMMON_NET_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace keel {

struct HostPort {
  std::string host;  // without brackets; "" means every interface
  uint16_t port = 0;
};

// ParseHostPort reads "host:port", "[v6]:port" or ":port". Returns
// InvalidArgument naming the address for anything else.
absl::StatusOr<HostPort> ParseHostPort(const std::string& address);

// JoinHostPort is the inverse of ParseHostPort ("[::1]:80" for IPv6 hosts).
std::string JoinHostPort(const std::string& host, uint16_t port);

// CheckCanListen binds a TCP socket to `address` and releases it. Returns
// Unavailable with the OS's reason (e.g. "Address already in use") when the
// bind fails, so a service can say why before gRPC hides it.
absl::Status CheckCanListen(const std::string& address);

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_NET_H_
