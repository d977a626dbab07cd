// Runs the openssl command-line tool in tests: an independent check of what
// libs/mtls writes, and a maker of CAs the way an organisation makes them.
#ifndef KEEL_LIBS_MTLS_TESTING_OPENSSL_CLI_H_
#define KEEL_LIBS_MTLS_TESTING_OPENSSL_CLI_H_

#include <cstdio>
#include <string>

namespace keel::mtls::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Run runs `command` through the shell, stderr folded into the output.
inline CommandResult Run(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace keel::mtls::testing

#endif  // KEEL_LIBS_MTLS_TESTING_OPENSSL_CLI_H_
