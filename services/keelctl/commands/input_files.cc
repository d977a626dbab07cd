#include "services/keelctl/commands/input_files.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "absl/strings/match.h"

namespace keel::keelctl {
namespace {

bool IsConfigFile(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

}  // namespace

bool ParseFileArgs(const std::string& command, const std::vector<std::string>& args,
                   std::vector<std::string>& paths, CommandIo& io) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-f" || arg == "--filename") {
      if (i + 1 >= args.size()) {
        std::fprintf(io.err, "keelctl %s: %s needs a path\n", command.c_str(), arg.c_str());
        return false;
      }
      paths.push_back(args[++i]);
    } else if (absl::StartsWith(arg, "-f=") || absl::StartsWith(arg, "--filename=")) {
      paths.push_back(arg.substr(arg.find('=') + 1));
    } else if (!arg.empty() && arg[0] != '-') {
      paths.push_back(arg);  // "-f a b", "a b": every bare argument is a path too
    } else {
      std::fprintf(io.err,
                   "keelctl %s: unexpected argument \"%s\" (usage: keelctl %s -f FILE|DIR ...)\n",
                   command.c_str(), arg.c_str(), command.c_str());
      return false;
    }
  }
  if (paths.empty()) {
    std::fprintf(io.err, "keelctl %s: no input: give -f FILE|DIR\n", command.c_str());
    return false;
  }
  return true;
}

std::vector<std::string> ConfigFilesIn(const std::vector<std::string>& paths, CommandIo& io,
                                       bool& ok) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      for (auto it = std::filesystem::recursive_directory_iterator(path, error);
           !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
        if (it->is_regular_file() && IsConfigFile(it->path())) files.push_back(it->path().string());
      }
    } else if (std::filesystem::is_regular_file(path, error)) {
      files.push_back(path);
    } else {
      std::fprintf(io.err, "keelctl: %s: no such file or directory\n", path.c_str());
      ok = false;
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace keel::keelctl
