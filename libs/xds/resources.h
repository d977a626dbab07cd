// What an xDS server serves: named, versioned resources per type URL.
#ifndef KEEL_LIBS_XDS_RESOURCES_H_
#define KEEL_LIBS_XDS_RESOURCES_H_

#include <map>
#include <memory>
#include <string>

#include "envoy/config/core/v3/base.pb.h"
#include "google/protobuf/any.pb.h"

namespace keel::xds {

// What a publisher may attach to a resource for consumers in its own
// process: the object `body` was encoded from, so they need not decode it.
// Never sent; a consumer that does not know the type ignores it.
class LocalObject {
 public:
  virtual ~LocalObject() = default;
};

// One resource as it goes on the wire.
struct XdsResource {
  std::string name;
  std::string version;  // the resource's own version (delta xDS)
  google::protobuf::Any body;
  std::shared_ptr<const LocalObject> local;  // may be null
};

// Every resource of one type at one moment. Immutable once shared.
struct TypeResources {
  std::string version;  // the type's version (SotW version_info, delta system_version_info)
  std::map<std::string, std::shared_ptr<const XdsResource>> resources;  // by name
};

// ResourceView answers what a client of `node` gets of each type.
class ResourceView {
 public:
  virtual ~ResourceView() = default;

  // Resources returns the resources of `type_url` for `node`, or null if
  // the view does not hold the type (unknown, or not yet arrived): the
  // server then sends nothing for it, since an empty response would tell
  // the client it holds the full, empty state.
  virtual std::shared_ptr<const TypeResources> Resources(
      const std::string& type_url, const envoy::config::core::v3::Node& node) = 0;
};

// ResourceSource is what the server serves from: as a view, its current
// resources. Galley serves the same resources to every client; Pilot
// generates per client (hence the node).
class ResourceSource : public ResourceView {
 public:
  // Pin returns a view of every type as it is now, for a source whose types
  // change together (one push makes both clusters and endpoints). A stream
  // answers each round of dirty types from one pinned view, so the types a
  // push wakes reach a client from that push, never clusters of one push
  // with endpoints of the next (go-control-plane's consistent snapshot); a
  // change during the round is sent in the next round.
  // Null (the default): each type is read as it is when sent.
  virtual std::shared_ptr<ResourceView> Pin() { return nullptr; }

  // Serves reports whether `type_url` is a type this source can ever serve.
  // A stream asking for any other is refused: unknown types must not make
  // the server keep state for them.
  virtual bool Serves(const std::string& type_url) const = 0;

  // Ready reports whether the source holds its full state. Until then the
  // server refuses streams with UNAVAILABLE ("not ready"), so no client ever
  // receives a partial configuration.
  virtual bool Ready() const = 0;
};

}  // namespace keel::xds

#endif  // KEEL_LIBS_XDS_RESOURCES_H_
