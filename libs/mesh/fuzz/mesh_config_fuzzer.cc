// Fuzz target for the mesh config file (istio.mesh.v1alpha1.MeshConfig
// YAML), which Pilot reloads whenever it changes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "libs/mesh/mesh_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)keel::mesh::ParseMeshConfig("mesh.yaml", text);
  return 0;
}
