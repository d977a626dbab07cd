#include "services/keelctl/commands/command.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace keel::keelctl {
namespace {

std::map<std::string, Command>& MutableCommands() {
  static auto* commands = new std::map<std::string, Command>();
  return *commands;
}

}  // namespace

const std::map<std::string, Command>& Commands() { return MutableCommands(); }

bool RegisterCommand(Command command) {
  std::string name = command.name;
  MutableCommands().emplace(std::move(name), std::move(command));
  return true;
}

std::string UsageText() {
  std::string text =
      "keelctl: the Keel command-line tool.\n\nUsage: keelctl COMMAND [args]\n\nCommands:\n";
  for (const auto& [name, command] : Commands()) {
    absl::StrAppend(&text, "  ", command.usage, "\n      ", command.summary, "\n");
  }
  absl::StrAppend(&text, "\nGlobal flags: --help, --version, --log_level, --log_format.\n");
  return text;
}

int RunKeelctl(const std::vector<std::string>& args, CommandIo& io) {
  if (args.empty()) {
    std::fprintf(io.err, "keelctl: no command given\n\n%s", UsageText().c_str());
    return 2;
  }
  auto it = Commands().find(args[0]);
  if (it == Commands().end()) {
    std::fprintf(io.err, "keelctl: unknown command \"%s\" (see keelctl --help)\n", args[0].c_str());
    return 2;
  }
  return it->second.run(std::vector<std::string>(args.begin() + 1, args.end()), io);
}

}  // namespace keel::keelctl
