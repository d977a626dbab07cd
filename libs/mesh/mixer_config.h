// Type checking of Istio 1.4 Mixer config across resources: each rule's
// match and each instance's expression params against the attribute
// manifests beside them. Galley refuses what fails (naming file and line)
// before Mixer sees it; `keelctl analyze` reports the same.
#ifndef KEEL_LIBS_MESH_MIXER_CONFIG_H_
#define KEEL_LIBS_MESH_MIXER_CONFIG_H_

#include <vector>

#include "libs/mesh/diagnostic.h"
#include "libs/mesh/resource.h"

namespace keel::mesh {

// TypeCheckMixerConfig returns an error per rule or instance whose
// expressions do not compile against the union of every attributemanifest
// in `resources` (nothing when there is no manifest: nothing to check
// against; Mixer then refuses the config itself).
std::vector<Diagnostic> TypeCheckMixerConfig(const std::vector<const Resource*>& resources);

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_MIXER_CONFIG_H_
