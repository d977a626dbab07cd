// Field paths for validator messages: At("spec.hosts", 0) is
// "spec.hosts[0]", Dot("spec", "hosts") is "spec.hosts".
#ifndef KEEL_LIBS_MESH_VALIDATION_FIELD_PATH_H_
#define KEEL_LIBS_MESH_VALIDATION_FIELD_PATH_H_

#include <string>

#include "absl/strings/str_cat.h"

namespace keel::mesh::validation {

inline std::string At(const std::string& base, int index) {
  return absl::StrCat(base, "[", index, "]");
}

inline std::string Dot(const std::string& base, const char* field) {
  return absl::StrCat(base, ".", field);
}

}  // namespace keel::mesh::validation

#endif  // KEEL_LIBS_MESH_VALIDATION_FIELD_PATH_H_
