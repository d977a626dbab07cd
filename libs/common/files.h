// Small file helpers shared by the services and keelctl.
#ifndef KEEL_LIBS_COMMON_FILES_H_
#define KEEL_LIBS_COMMON_FILES_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace keel {

// WriteFileAtomically writes `contents` to a temporary file beside `path`
// with permissions `mode`, then renames it over `path`, so a reader sees the
// old file or the whole new one, never a part.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents,
                                 mode_t mode = 0644);

// A file of a set written together.
struct FileToWrite {
  std::string name;  // within the folder
  std::string contents;
  mode_t mode = 0644;
};

// WriteFilesTogether replaces `files` in `dir` as one: a reader sees all of
// the old set or all of the new one, never a new key beside an old
// certificate. It writes them into a fresh hidden folder and swaps the
// `..data` symlink to it, with each name a symlink through `..data` (the way
// Kubernetes updates mounted Secrets, which gRPC's file watcher and Keel's
// FileWatcher follow). Older hidden folders are removed.
absl::Status WriteFilesTogether(const std::string& dir, const std::vector<FileToWrite>& files);

// ReadWholeFile returns the file's bytes; NotFound naming the path and the
// OS's reason when it cannot be read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_FILES_H_
