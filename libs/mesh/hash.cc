#include "libs/mesh/hash.h"

#include "absl/strings/str_format.h"

namespace keel::mesh {

std::string HexVersion(uint64_t hash) { return absl::StrFormat("%016x", hash); }

}  // namespace keel::mesh
