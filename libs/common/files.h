// Small file helpers shared by the services and keelctl.
#ifndef KEEL_LIBS_COMMON_FILES_H_
#define KEEL_LIBS_COMMON_FILES_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"

namespace keel {

// WriteFileAtomically writes `contents` to a temporary file beside `path`
// with permissions `mode`, then renames it over `path`, so a reader sees the
// old file or the whole new one, never a part.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents,
                                 mode_t mode = 0644);

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_FILES_H_
