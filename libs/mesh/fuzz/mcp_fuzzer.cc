// Fuzz target for what Pilot and Mixer decode from Galley: an MCP resource
// envelope (istio.mcp.v1alpha1.Resource in an Any), read as every kind in
// turn (a consumer decodes whatever arrives under the type it subscribed to).
#include <cstddef>
#include <cstdint>
#include <string>

#include "google/protobuf/any.pb.h"
#include "libs/mesh/mcp.h"
#include "libs/mesh/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  google::protobuf::Any any;
  if (!any.ParseFromArray(data, static_cast<int>(size))) return 0;
  for (const keel::mesh::KindInfo& kind : keel::mesh::AllKinds()) {
    absl::StatusOr<std::shared_ptr<const keel::mesh::Resource>> resource =
        keel::mesh::DecodeMcp(kind, any);
    if (!resource.ok()) continue;
    (void)(*resource)->ContentHash();
    (void)keel::mesh::EncodeMcp(**resource).SerializeAsString();
  }
  return 0;
}
