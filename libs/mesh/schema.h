// The kind table: every Istio kind Keel handles, in one place. Nothing else
// in Keel spells an API group, a kind name, a proto type or a type URL.
#ifndef KEEL_LIBS_MESH_SCHEMA_H_
#define KEEL_LIBS_MESH_SCHEMA_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/message.h"

namespace keel::mesh {

class FieldErrors;
struct Resource;

// Validate checks one resource's spec with Istio's rules, adding to `errors`
// with field paths relative to the resource ("spec.hosts[0]").
using ValidateFn = void (*)(const Resource& resource, FieldErrors& errors);

struct KindInfo {
  std::string group;                           // "networking.istio.io"
  std::string version;                         // the version Keel serves it as, "v1alpha3"
  std::vector<std::string> accepted_versions;  // every version read, e.g. v1alpha3, v1beta1, v1
  std::string kind;                            // "VirtualService"
  // The generated default instance of the kind's proto type; never null.
  const google::protobuf::Message* prototype = nullptr;
  ValidateFn validate = nullptr;

  // api_version is "group/version", e.g. "networking.istio.io/v1alpha3".
  std::string api_version() const { return group + "/" + version; }
  // type_url names the kind on MCP-over-xDS: "networking.istio.io/v1alpha3/VirtualService".
  std::string type_url() const { return group + "/" + version + "/" + kind; }

  // proto is the full name of the kind's proto type, e.g.
  // "istio.networking.v1alpha3.VirtualService".
  std::string proto() const;

  // NewSpec returns an empty message of the kind's proto type.
  std::unique_ptr<google::protobuf::Message> NewSpec() const;
};

// AllKinds returns the table, in a stable order.
const std::vector<KindInfo>& AllKinds();

// FindKind returns the kind for `api_version` ("group/version") and `kind`,
// or null if Keel does not handle it. `group_known` (may be null) is set when
// the group is one of Istio's, so a wrong version can be told from a
// foreign kind.
const KindInfo* FindKind(std::string_view api_version, std::string_view kind,
                         bool* group_known = nullptr);

// FindKindByTypeUrl returns the kind for an MCP type URL, or null.
const KindInfo* FindKindByTypeUrl(std::string_view type_url);

// FindKindByName returns the kind named `kind` ("VirtualService"), or null.
const KindInfo* FindKindByName(std::string_view kind);

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_SCHEMA_H_
