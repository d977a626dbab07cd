// What an xDS server serves: named, versioned resources per type URL.
#ifndef KEEL_LIBS_XDS_RESOURCES_H_
#define KEEL_LIBS_XDS_RESOURCES_H_

#include <map>
#include <memory>
#include <string>

#include "envoy/config/core/v3/base.pb.h"
#include "google/protobuf/any.pb.h"

namespace keel::xds {

// One resource as it goes on the wire.
struct XdsResource {
  std::string name;
  std::string version;  // the resource's own version (delta xDS)
  google::protobuf::Any body;
};

// Every resource of one type at one moment. Immutable once shared.
struct TypeResources {
  std::string version;  // the type's version (SotW version_info, delta system_version_info)
  std::map<std::string, std::shared_ptr<const XdsResource>> resources;  // by name
};

// ResourceSource is what the server serves from. Galley serves the same
// resources to every client; Pilot generates per client (hence the node).
class ResourceSource {
 public:
  virtual ~ResourceSource() = default;

  // Resources returns the current resources of `type_url` for `node`, or
  // null if the source does not hold the type (unknown, or not yet
  // arrived): the server then sends nothing for it, since an empty response
  // would tell the client it holds the full, empty state.
  virtual std::shared_ptr<const TypeResources> Resources(
      const std::string& type_url, const envoy::config::core::v3::Node& node) = 0;

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
