#include "libs/common/flags.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/build_info.h"

namespace keel {
namespace {

absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Only flags declared in Keel's sources appear in --help; gRPC and Abseil
// register a few of their own that users never need.
bool IsKeelFlag(const absl::CommandLineFlag& flag) {
  const std::string file = flag.Filename();
  for (const char* prefix : {"libs/", "services/", "integration/", "tools/"}) {
    if (absl::StartsWith(file, prefix) || absl::StrContains(file, absl::StrCat("/", prefix))) {
      return true;
    }
  }
  return false;
}

absl::Status SetFlag(absl::CommandLineFlag& flag, std::string_view value) {
  std::string error;
  if (!flag.ParseFrom(ToAbsl(value), &error)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid value \"", ToAbsl(value),
                                                   "\" for flag --", flag.Name(), ": ", error));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ParsedCommandLine> ParseFlags(const std::vector<std::string>& args) {
  ParsedCommandLine result;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--") {
      result.positional.insert(result.positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      result.positional.emplace_back(arg);
      continue;
    }
    arg.remove_prefix(arg[1] == '-' ? 2 : 1);
    std::string_view name = arg;
    std::string_view value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    if (name == "help" || name == "helpfull") {
      result.action = ParsedCommandLine::Action::kHelp;
      continue;
    }
    if (name == "version") {
      result.action = ParsedCommandLine::Action::kVersion;
      continue;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(ToAbsl(name));
    if (flag == nullptr && !has_value && name.size() > 2 && name.substr(0, 2) == "no") {
      // --nofoo sets the boolean flag foo to false.
      absl::CommandLineFlag* negated = absl::FindCommandLineFlag(ToAbsl(name.substr(2)));
      if (negated != nullptr && negated->IsOfType<bool>()) {
        absl::Status status = SetFlag(*negated, "false");
        if (!status.ok()) return status;
        continue;
      }
    }
    if (flag == nullptr || flag->IsRetired()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", ToAbsl(name), " (see --help)"));
    }
    if (!has_value) {
      if (flag->IsOfType<bool>()) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("flag --", ToAbsl(name), " needs a value"));
      }
    }
    absl::Status status = SetFlag(*flag, value);
    if (!status.ok()) return status;
  }
  return result;
}

std::string FlagsHelp(const std::string& program, const std::string& description) {
  std::vector<absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (IsKeelFlag(*flag)) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  std::string out =
      absl::StrCat(program, ": ", description, "\n\nUsage: ", program, " [flags]\n\nFlags:\n");
  for (const absl::CommandLineFlag* flag : flags) {
    absl::StrAppend(&out, "  --", flag->Name(), "  ", flag->Help(), " (default: \"",
                    flag->DefaultValue(), "\")\n");
  }
  absl::StrAppend(&out, "  --help  Print this help and exit.\n",
                  "  --version  Print the version and exit.\n");
  return out;
}

std::vector<std::string> ParseFlagsOrExit(int argc, char** argv, const std::string& program,
                                          const std::string& description) {
  std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
  absl::StatusOr<ParsedCommandLine> parsed = ParseFlags(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(),
                 std::string(parsed.status().message()).c_str());
    std::exit(2);
  }
  switch (parsed->action) {
    case ParsedCommandLine::Action::kHelp:
      std::fputs(FlagsHelp(program, description).c_str(), stdout);
      std::exit(0);
    case ParsedCommandLine::Action::kVersion:
      std::printf("%s\n", VersionLine(program).c_str());
      std::exit(0);
    case ParsedCommandLine::Action::kRun:
      break;
  }
  return std::move(parsed->positional);
}

}  // namespace keel
