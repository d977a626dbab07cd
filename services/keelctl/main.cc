// keelctl: Keel's command-line tool.
#include <cstdio>

#include "libs/common/flags.h"
#include "libs/common/logging.h"
#include "services/keelctl/commands/command.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<keel::ParsedCommandLine> parsed = keel::ParseFlags(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "keelctl: %s\n", std::string(parsed.status().message()).c_str());
    return 2;
  }
  if (parsed->action == keel::ParsedCommandLine::Action::kHelp) {
    std::fputs(keel::keelctl::UsageText().c_str(), stdout);
    return 0;
  }
  if (parsed->action == keel::ParsedCommandLine::Action::kVersion) {
    parsed->positional = {"version"};
  }
  absl::Status logging = keel::InitLogging("keelctl", keel::LogOptionsFromFlags());
  if (!logging.ok()) {
    std::fprintf(stderr, "keelctl: %s\n", std::string(logging.message()).c_str());
    return 2;
  }
  keel::keelctl::CommandIo io;
  return keel::keelctl::RunKeelctl(parsed->positional, io);
}
