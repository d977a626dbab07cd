// keelctl: Keel's command-line tool.
#include <cstdio>

#include "libs/common/flags.h"
#include "libs/common/logging.h"
#include "services/keelctl/commands/command.h"

int main(int argc, char** argv) {
  // Global flags come before the command; what follows it is the command's.
  std::vector<std::string> global;
  std::vector<std::string> command;
  for (int i = 1; i < argc; ++i) {
    if (command.empty() && argv[i][0] == '-') {
      global.push_back(argv[i]);
    } else {
      command.push_back(argv[i]);
    }
  }
  absl::StatusOr<keel::ParsedCommandLine> parsed = keel::ParseFlags(global);
  if (!parsed.ok()) {
    std::fprintf(stderr, "keelctl: %s\n", std::string(parsed.status().message()).c_str());
    return 2;
  }
  if (parsed->action == keel::ParsedCommandLine::Action::kHelp) {
    std::fputs(keel::keelctl::UsageText().c_str(), stdout);
    return 0;
  }
  if (parsed->action == keel::ParsedCommandLine::Action::kVersion) command = {"version"};
  absl::Status logging = keel::InitLogging("keelctl", keel::LogOptionsFromFlags());
  if (!logging.ok()) {
    std::fprintf(stderr, "keelctl: %s\n", std::string(logging.message()).c_str());
    return 2;
  }
  keel::keelctl::CommandIo io;
  return keel::keelctl::RunKeelctl(command, io);
}
