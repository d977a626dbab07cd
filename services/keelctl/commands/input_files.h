// The files a keelctl command reads: "-f PATH" arguments (files or
// folders, read recursively for .yaml, .yml and .json).
#ifndef KEEL_SERVICES_KEELCTL_COMMANDS_INPUT_FILES_H_
#define KEEL_SERVICES_KEELCTL_COMMANDS_INPUT_FILES_H_

#include <string>
#include <vector>

#include "services/keelctl/commands/command.h"

namespace keel::keelctl {

// ParseFileArgs reads "-f PATH", "-f=PATH", "--filename PATH" (repeatable)
// and bare paths, so "-f a b" takes both a and b. False (after saying why
// on io.err) for anything else, or no path at all.
bool ParseFileArgs(const std::string& command, const std::vector<std::string>& args,
                   std::vector<std::string>& paths, CommandIo& io);

// ConfigFilesIn lists the config files of `paths`, sorted; `ok` turns
// false (after saying so) for a path that does not exist.
std::vector<std::string> ConfigFilesIn(const std::vector<std::string>& paths, CommandIo& io,
                                       bool& ok);

}  // namespace keel::keelctl

#endif  // KEEL_SERVICES_KEELCTL_COMMANDS_INPUT_FILES_H_
