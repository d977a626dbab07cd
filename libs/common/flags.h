// Command-line flag handling shared by every Keel binary.
//
// Flags are declared with ABSL_FLAG where they are used (each service's main),
// then parsed once at startup:
//
//   int main(int argc, char** argv) {
//     std::vector<std::string> args = keel::ParseFlagsOrExit(argc, argv, "pilot",
//         "Serves Istio traffic management as xDS.");
//
// Unlike absl::ParseCommandLine, an unknown flag or a bad value exits with
// status 2 and a one-line reason, `--help` prints only Keel's flags and exits
// 0, and `--version` prints the stamped version and exits 0.
#ifndef KEEL_LIBS_COMMON_FLAGS_H_
#define KEEL_LIBS_COMMON_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace keel {

// What the command line asked for once flags are applied.
struct ParsedCommandLine {
  enum class Action { kRun, kHelp, kVersion };
  Action action = Action::kRun;
  // Arguments that are not flags, in order (everything after "--" included).
  std::vector<std::string> positional;
};

// ParseFlags applies `--name=value`, `--name value`, `--bool_flag` and
// `--nobool_flag` to the registered absl flags. Returns InvalidArgument naming
// the flag for an unknown flag, a missing value or a value that does not parse.
absl::StatusOr<ParsedCommandLine> ParseFlags(const std::vector<std::string>& args);

// FlagsHelp returns the usage text: the program's description and every flag
// declared in Keel's own sources, with its default and help.
std::string FlagsHelp(const std::string& program, const std::string& description);

// ParseFlagsOrExit parses argv (argv[0] excluded), handles --help and
// --version, and exits 2 on a bad command line. Returns the positional args.
std::vector<std::string> ParseFlagsOrExit(int argc, char** argv, const std::string& program,
                                          const std::string& description);

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_FLAGS_H_
