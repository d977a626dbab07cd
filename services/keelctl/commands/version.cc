// keelctl version: prints keelctl's own version and commit.
#include <cstdio>

#include "libs/common/build_info.h"
#include "services/keelctl/commands/command.h"

namespace keel::keelctl {
namespace {

int RunVersion(const std::vector<std::string>& args, CommandIo& io) {
  if (!args.empty()) {
    std::fprintf(io.err, "keelctl version: takes no arguments, got \"%s\"\n", args[0].c_str());
    return 2;
  }
  std::fprintf(io.out, "%s\n", VersionLine("keelctl").c_str());
  return 0;
}

}  // namespace

KEELCTL_REGISTER_COMMAND(version, Command{
                                      .name = "version",
                                      .usage = "keelctl version",
                                      .summary = "Print keelctl's version and git commit.",
                                      .run = RunVersion,
                                  });

}  // namespace keel::keelctl
