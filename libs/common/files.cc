#include "libs/common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace keel {

absl::Status WriteFileAtomically(const std::string& path, const std::string& contents,
                                 mode_t mode) {
  const std::string temp = absl::StrCat(path, ".tmp.", getpid());
  auto failed = [&](const char* what) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path, ": ", what, ": ", std::strerror(errno)));
  };
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return failed("open");
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      unlink(temp.c_str());
      return failed("write");
    }
    written += static_cast<size_t>(n);
  }
  // open() applies the umask; the mode asked for is the mode meant.
  if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
    close(fd);
    unlink(temp.c_str());
    return failed("sync");
  }
  close(fd);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    unlink(temp.c_str());
    return failed("rename");
  }
  return absl::OkStatus();
}

absl::Status WriteFilesTogether(const std::string& dir, const std::vector<FileToWrite>& files) {
  auto failed = [&](const std::string& what) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", dir, ": ", what, ": ", std::strerror(errno)));
  };
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  // A fresh version folder, named to sort by time.
  const std::string version = absl::StrCat(
      "..", absl::FormatTime("%Y_%m_%d_%H_%M_%E6S", absl::Now(), absl::UTCTimeZone()), ".", getpid());
  const std::string version_dir = absl::StrCat(dir, "/", version);
  if (mkdir(version_dir.c_str(), 0755) != 0 && errno != EEXIST) return failed("mkdir " + version);
  for (const FileToWrite& file : files) {
    if (absl::Status written =
            WriteFileAtomically(absl::StrCat(version_dir, "/", file.name), file.contents, file.mode);
        !written.ok()) {
      return written;
    }
  }
  // Swap ..data to the new version in one rename.
  const std::string data = absl::StrCat(dir, "/..data");
  const std::string data_temp = absl::StrCat(dir, "/..data_tmp.", getpid());
  unlink(data_temp.c_str());
  if (symlink(version.c_str(), data_temp.c_str()) != 0) return failed("symlink ..data");
  std::string previous;
  {
    char target[4096];
    const ssize_t n = readlink(data.c_str(), target, sizeof(target) - 1);
    if (n > 0) previous.assign(target, static_cast<size_t>(n));
  }
  if (std::rename(data_temp.c_str(), data.c_str()) != 0) return failed("rename ..data");
  // Each name points through ..data (made once; a plain file from before is replaced).
  for (const FileToWrite& file : files) {
    const std::string path = absl::StrCat(dir, "/", file.name);
    const std::string through = absl::StrCat("..data/", file.name);
    char target[4096];
    const ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
    if (n > 0 && std::string(target, static_cast<size_t>(n)) == through) continue;
    const std::string link_temp = absl::StrCat(path, ".link.", getpid());
    unlink(link_temp.c_str());
    if (symlink(through.c_str(), link_temp.c_str()) != 0 ||
        std::rename(link_temp.c_str(), path.c_str()) != 0) {
      return failed("symlink " + file.name);
    }
  }
  if (!previous.empty() && previous != version) {
    std::filesystem::remove_all(absl::StrCat(dir, "/", previous), error);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read: ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  return text.str();
}

}  // namespace keel
