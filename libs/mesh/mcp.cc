#include "libs/mesh/mcp.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "proto/istio/mcp/v1alpha1/resource.pb.h"

namespace keel::mesh {

std::string McpName(const Resource& resource) {
  return absl::StrCat(resource.namespace_name, "/", resource.name);
}

std::string McpVersion(const Resource& resource) {
  return absl::StrFormat("%016x", resource.ContentHash());
}

google::protobuf::Any EncodeMcp(const Resource& resource) {
  istio::mcp::v1alpha1::Resource envelope;
  auto* metadata = envelope.mutable_metadata();
  metadata->set_name(McpName(resource));
  metadata->set_version(McpVersion(resource));
  for (const auto& [k, v] : resource.labels) (*metadata->mutable_labels())[k] = v;
  for (const auto& [k, v] : resource.annotations) (*metadata->mutable_annotations())[k] = v;
  // PackFrom(*resource.spec) would serialize the spec again.
  envelope.mutable_body()->set_type_url(
      absl::StrCat("type.googleapis.com/", resource.spec->GetDescriptor()->full_name()));
  envelope.mutable_body()->set_value(resource.SpecBytes());
  google::protobuf::Any any;
  any.PackFrom(envelope);
  return any;
}

absl::StatusOr<std::shared_ptr<const Resource>> DecodeMcp(const KindInfo& kind,
                                                          const google::protobuf::Any& body) {
  istio::mcp::v1alpha1::Resource envelope;
  if (!body.UnpackTo(&envelope)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an istio.mcp.v1alpha1.Resource but ", body.type_url()));
  }
  std::unique_ptr<google::protobuf::Message> spec = kind.NewSpec();
  if (!envelope.body().UnpackTo(spec.get())) {
    return absl::InvalidArgumentError(absl::StrCat(envelope.metadata().name(), ": body is ",
                                                   envelope.body().type_url(), ", not ",
                                                   kind.proto()));
  }
  auto resource = std::make_shared<Resource>();
  resource->kind = &kind;
  McpNameParts parts = SplitMcpName(envelope.metadata().name());
  resource->namespace_name = std::move(parts.namespace_name);
  resource->name = std::move(parts.name);
  resource->labels = {envelope.metadata().labels().begin(), envelope.metadata().labels().end()};
  resource->annotations = {envelope.metadata().annotations().begin(),
                           envelope.metadata().annotations().end()};
  resource->spec = std::move(spec);
  return resource;
}

McpNameParts SplitMcpName(const std::string& full) {
  const size_t slash = full.find('/');
  if (slash == std::string::npos) return {.namespace_name = "default", .name = full};
  return {.namespace_name = full.substr(0, slash), .name = full.substr(slash + 1)};
}

}  // namespace keel::mesh
