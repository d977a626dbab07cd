// Typed Istio resources read from YAML.
//
//   ParsedFile parsed = ParseConfigFile("reviews.yaml", text);
//   for (const Diagnostic& d : parsed.diagnostics) std::cerr << d.ToString() << "\n";
//   for (const Resource& r : parsed.resources) ...
#ifndef KEEL_LIBS_MESH_RESOURCE_H_
#define KEEL_LIBS_MESH_RESOURCE_H_

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "libs/mesh/diagnostic.h"
#include "libs/mesh/schema.h"
#include "libs/mesh/yaml_proto.h"

namespace keel::mesh {

struct Resource {
  const KindInfo* kind = nullptr;
  std::string api_version;  // as written in the file
  std::string name;
  std::string namespace_name;  // "default" when the file gives none
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  // metadata.resourceVersion as written ("" when absent): not content, but
  // a write's precondition, as in Kubernetes (keelctl apply of what
  // keelctl get printed fails if the resource changed in between).
  std::string resource_version;
  std::shared_ptr<const google::protobuf::Message> spec;
  // Where the resource's document starts, and where each of its fields is.
  SourcePosition position;
  std::shared_ptr<const FieldPositions> field_positions;  // lines relative to the document
  int line_offset = 0;                                    // file line = document line + line_offset

  // Is reports whether the resource is of `kind`.
  template <typename Spec>
  bool Is(const Kind<Spec>& of) const {
    return of.Is(kind);
  }
  // As returns the spec as `of`'s type, or null when the resource is of
  // another kind (checked against the spec's descriptor too, so a spec built
  // by hand with the wrong type is refused rather than misread).
  template <typename Spec>
  const Spec* As(const Kind<Spec>& of) const {
    if (!of.Is(kind) || spec == nullptr || spec->GetDescriptor() != Spec::descriptor()) {
      return nullptr;
    }
    return static_cast<const Spec*>(spec.get());
  }

  // SpecAs returns the spec as `Spec`, for code the kind table hands only
  // resources of that type (validators); any other type is a programming
  // error, and aborts rather than misread memory.
  template <typename Spec>
  const Spec& SpecAs() const {
    if (spec == nullptr || spec->GetDescriptor() != Spec::descriptor()) std::abort();
    return static_cast<const Spec&>(*spec);
  }

  // Key identifies the resource in a store: "VirtualService/default/reviews".
  std::string Key() const;
  // DisplayName is how messages name it: "VirtualService default/reviews".
  std::string DisplayName() const;
  // PositionOf returns where `field` (e.g. "spec.http[0]") is in the source.
  SourcePosition PositionOf(const std::string& field) const;
  // ContentHash is a stable hash of metadata and spec (for versions and
  // change detection); positions do not count. The parser computes it once;
  // resources built elsewhere compute it on each call.
  uint64_t ContentHash() const { return content_hash != 0 ? content_hash : ComputeContentHash(); }
  uint64_t ComputeContentHash() const;
  uint64_t content_hash = 0;  // set by ParseConfigFile
  // SpecBytes is `spec` serialized deterministically. The parser keeps the
  // bytes it hashed, so publishing (EncodeMcp) does not serialize again.
  std::string SpecBytes() const;
  std::string spec_bytes;  // set by ParseConfigFile
};

// A Kubernetes object an analysis needs beside Istio's kinds (users analyze
// their whole manifest folder): a core/v1 Service (the host
// name.namespace.svc.<domain>, its ports and selector), Namespace or Pod
// (their labels). Read leniently: only these fields.
struct KubeObject {
  struct ServicePort {
    uint32_t number = 0;
    std::string name;
    std::string protocol;
  };
  std::string kind;  // "Service", "Namespace" or "Pod"
  std::string name;
  std::string namespace_name;  // "default" when the file gives none; "" for a Namespace
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<ServicePort> ports;               // Service only
  std::map<std::string, std::string> selector;  // Service only
  SourcePosition position;
};

// The outcome of reading one file: the resources that parsed (their specs
// are not validated yet) and the problems found. A document that cannot be
// read is reported and skipped; the other documents still load.
struct ParsedFile {
  std::vector<Resource> resources;
  std::vector<KubeObject> kube_objects;  // v1 Service, Namespace, Pod
  std::vector<Diagnostic> diagnostics;   // errors, and info notes for skipped kinds
};

// ParseConfigFile reads every YAML (or JSON) document in `content`. `file`
// names the source in diagnostics.
ParsedFile ParseConfigFile(const std::string& file, const std::string& content);

// Limits on untrusted input (webhook bodies, files).
inline constexpr size_t kMaxDocumentBytes = 4 << 20;
inline constexpr int kMaxNestingDepth = 64;

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_RESOURCE_H_
