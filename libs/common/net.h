// Small helpers for listen addresses.
#ifndef KEEL_LIBS_COMMON_NET_H_
#define KEEL_LIBS_COMMON_NET_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

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

// GrpcListenAddress turns a listen address into the form gRPC's server
// accepts: gRPC 1.51 rejects ":PORT", so an empty host becomes "[::]" (every
// interface; gRPC falls back to IPv4 alone where IPv6 is off).
std::string GrpcListenAddress(const std::string& address);

// ListenAddress is a flag type for "host:port" addresses a server listens on:
// the flag parser itself rejects a malformed one (exit 2 naming the flag), so
// a bad address never gets as far as a bind. "" means "do not listen".
struct ListenAddress {
  std::string value;
};
bool AbslParseFlag(absl::string_view text, ListenAddress* address, std::string* error);
std::string AbslUnparseFlag(const ListenAddress& address);

// CheckCanListen binds a TCP socket to `address` and releases it. Returns
// Unavailable with the OS's reason (e.g. "Address already in use") when the
// bind fails, so a service can say why before gRPC hides it.
absl::Status CheckCanListen(const std::string& address);

// IsLoopbackGrpcPeer says whether gRPC's peer string ("ipv4:127.0.0.1:5000",
// "ipv6:[::1]:5000", "unix:...") names this machine.
bool IsLoopbackGrpcPeer(absl::string_view peer);

// GrpcTargetFor turns "host:port" or a comma-separated list of them into a
// gRPC channel target: several literal IPv4 (or IPv6) addresses become one
// "ipv4:a,b" target that gRPC fails over across; a single address, a name,
// or anything already carrying a scheme is kept (names: the first one).
std::string GrpcTargetFor(absl::string_view addresses);

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_NET_H_
