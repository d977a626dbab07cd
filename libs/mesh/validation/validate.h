// ValidateResource: one resource checked with Istio's rules for its kind
// (and Kubernetes' rules for its metadata).
#ifndef KEEL_LIBS_MESH_VALIDATION_VALIDATE_H_
#define KEEL_LIBS_MESH_VALIDATION_VALIDATE_H_

#include <vector>

#include "libs/mesh/diagnostic.h"
#include "libs/mesh/resource.h"

namespace keel::mesh {

// ValidateResource runs the kind's validator and turns what it finds into
// diagnostics that point at the file, line and field.
std::vector<Diagnostic> ValidateResource(const Resource& resource);

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_VALIDATION_VALIDATE_H_
