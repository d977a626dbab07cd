// Small file helpers shared by the services and keelctl.
#ifndef KEEL_LIBS_COMMON_FILES_H_
#define KEEL_LIBS_COMMON_FILES_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace keel {

// WriteFileAtomically writes `contents` to a temporary file beside `path`
// with permissions `mode`, then renames it over `path`, so a reader sees the
// old file or the whole new one, never a part.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents,
                                 mode_t mode = 0644);

// ReadWholeFile returns the file's bytes; NotFound naming the path and the
// OS's reason when it cannot be read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_FILES_H_
