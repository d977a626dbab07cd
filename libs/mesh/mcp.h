// The MCP-over-xDS codec, shared by Galley (which encodes) and Pilot and
// Mixer (which decode): each resource travels as an
// istio.mcp.v1alpha1.Resource envelope (metadata: "namespace/name", version,
// labels, annotations; body: the kind's typed spec) packed in an Any, under
// the kind's type URL (KindInfo::type_url()).
#ifndef KEEL_LIBS_MESH_MCP_H_
#define KEEL_LIBS_MESH_MCP_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/any.pb.h"
#include "libs/mesh/resource.h"
#include "libs/xds/resources.h"

namespace keel::mesh {

// McpName is the resource's name on MCP: "namespace/name".
std::string McpName(const Resource& resource);

// SplitMcpName reads a name on MCP back: "namespace/name", or a bare name,
// which is in the "default" namespace (as kubectl places it).
struct McpNameParts {
  std::string namespace_name;
  std::string name;
};
McpNameParts SplitMcpName(const std::string& full);

// McpVersion is the resource's version on MCP: its content hash, in hex.
std::string McpVersion(const Resource& resource);

// EncodeMcp wraps `resource` in its envelope.
google::protobuf::Any EncodeMcp(const Resource& resource);

// What Galley attaches to each MCP resource for Pilot and Mixer in the same
// process (keel): the resource itself, so the one-process hand-off decodes
// nothing.
struct LocalResource : xds::LocalObject {
  explicit LocalResource(std::shared_ptr<const Resource> r) : resource(std::move(r)) {}
  std::shared_ptr<const Resource> resource;
};

// DecodeMcp reads an envelope of kind `kind` back into a Resource. Returns
// InvalidArgument naming the problem if `body` is not an envelope around a
// spec of that kind.
absl::StatusOr<std::shared_ptr<const Resource>> DecodeMcp(const KindInfo& kind,
                                                          const google::protobuf::Any& body);

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_MCP_H_
