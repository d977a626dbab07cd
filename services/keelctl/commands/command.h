// keelctl's subcommands. Each lives in its own .cc file under commands/ and
// registers itself there with KEELCTL_REGISTER_COMMAND, so main.cc never
// changes when a command is added.
#ifndef KEEL_SERVICES_KEELCTL_COMMANDS_COMMAND_H_
#define KEEL_SERVICES_KEELCTL_COMMANDS_COMMAND_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace keel::keelctl {

// CommandIo lets tests capture what a command prints.
struct CommandIo {
  std::FILE* out = stdout;
  std::FILE* err = stderr;
};

struct Command {
  std::string name;     // e.g. "version"
  std::string usage;    // e.g. "keelctl version"
  std::string summary;  // one line for `keelctl --help`
  // Run receives the arguments after the command name and returns the exit
  // status: 0 on success, 1 when the command found errors, 2 on bad usage.
  std::function<int(const std::vector<std::string>& args, CommandIo& io)> run;
};

// Commands returns every registered command by name.
const std::map<std::string, Command>& Commands();

// RegisterCommand adds `command`; returns true so it can initialize a static.
bool RegisterCommand(Command command);

// RunKeelctl dispatches `args` (argv without argv[0], flags removed) to a
// command and returns the exit status.
int RunKeelctl(const std::vector<std::string>& args, CommandIo& io);

// UsageText lists the commands.
std::string UsageText();

}  // namespace keel::keelctl

#define KEELCTL_REGISTER_COMMAND(var, ...) \
  static const bool var##_registered = ::keel::keelctl::RegisterCommand(__VA_ARGS__)

#endif  // KEEL_SERVICES_KEELCTL_COMMANDS_COMMAND_H_
