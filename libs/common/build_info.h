// The version and git commit stamped into every Keel binary at build time.
#ifndef KEEL_LIBS_COMMON_BUILD_INFO_H_
#define KEEL_LIBS_COMMON_BUILD_INFO_H_

#include <string>

namespace keel {

// KeelVersion returns the release version from the VERSION file, e.g. "0.1.0".
const char* KeelVersion();

// GitCommit returns the short commit the binary was built from, with a
// "-dirty" suffix when the tree had uncommitted changes, or "unknown".
const char* GitCommit();

// VersionLine returns "<program> version <version> (commit <commit>)".
std::string VersionLine(const std::string& program);

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_BUILD_INFO_H_
