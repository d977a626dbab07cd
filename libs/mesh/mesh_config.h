// Istio's MeshConfig as Keel reads it: a YAML file (in Istio, the `mesh`
// key of the `istio` ConfigMap; in Keel, `--mesh_config`, which the Helm
// chart mounts from its `meshConfig` values) with Istio's field names,
// applied over Istio's defaults, and checked with file:line errors.
#ifndef KEEL_LIBS_MESH_MESH_CONFIG_H_
#define KEEL_LIBS_MESH_MESH_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/mesh/diagnostic.h"
#include "proto/istio/mesh/v1alpha1/config.pb.h"

namespace keel::mesh {

using MeshConfig = ::istio::mesh::v1alpha1::MeshConfig;

// DefaultMeshConfig is Istio's default (pkg/config/mesh): root namespace
// istio-system, every exportTo default "*", connect timeout 10s, outbound
// traffic ALLOW_ANY, trust domain cluster.local, tracing on.
MeshConfig DefaultMeshConfig();

// ParseMeshConfig reads `content` (named `file` in messages) and applies it
// over the defaults: a field given replaces the default (a list whole);
// nested messages merge field by field, as Istio's loader does. Unknown
// fields, wrong types and invalid values are all reported (InvalidArgument
// whose message lists each as "file:line:col: MeshConfig: field: reason").
absl::StatusOr<MeshConfig> ParseMeshConfig(const std::string& file, const std::string& content);

// ValidateMeshConfig checks values the schema cannot: durations, namespace
// names, exportTo lists, locality load-balancing settings.
std::vector<std::string> ValidateMeshConfig(const MeshConfig& config);

// LoadMeshConfigFile reads and parses `path`; "" gives the defaults.
absl::StatusOr<MeshConfig> LoadMeshConfigFile(const std::string& path);

// MeshConfigJson renders `config` as JSON with Istio's field names, for
// `keelctl mesh-config` and /debug/meshz.
std::string MeshConfigJson(const MeshConfig& config);

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_MESH_CONFIG_H_
