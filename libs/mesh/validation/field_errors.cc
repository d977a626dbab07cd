#include "libs/mesh/validation/field_errors.h"

namespace keel::mesh {

bool FieldErrors::has_errors() const {
  for (const Issue& issue : issues_) {
    if (issue.level == Level::kError) return true;
  }
  return false;
}

}  // namespace keel::mesh
