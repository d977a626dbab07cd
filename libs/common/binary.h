// Start-up shared by every Keel binary's main().
#ifndef KEEL_LIBS_COMMON_BINARY_H_
#define KEEL_LIBS_COMMON_BINARY_H_

#include <string>
#include <vector>

#include "libs/common/net.h"  // ListenAddress, the type of every listen-address flag
#include "libs/common/service_host.h"

namespace keel {

// InitBinaryOrExit parses flags (exit 0 after --help/--version, exit 2 with a
// one-line reason on a bad command line) and installs logging from
// --log_format/--log_level. Returns the positional arguments.
std::vector<std::string> InitBinaryOrExit(int argc, char** argv, const std::string& program,
                                          const std::string& description);

// HostOptionsFromFlags builds ServiceHostOptions from `grpc_address` (each
// service declares its own --grpc_address, with Istio's default port) and the
// shared --monitoring_address and --drain_timeout flags.
ServiceHostOptions HostOptionsFromFlags(const std::string& grpc_address);

// WritePortsFileFromFlags writes the ports a program that is not a
// ServiceHost (a test app) listens on to --ports_file, if given, in the
// format ServiceHost writes.
absl::Status WritePortsFileFromFlags(uint16_t grpc_port, uint16_t monitoring_port = 0);

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_BINARY_H_
