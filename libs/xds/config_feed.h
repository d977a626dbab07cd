// ConfigFeed: how a consumer of a ResourceSource's resources receives them,
// as accepted changes per type. Over the network that is an AdsClient; in
// the one-process mode (Galley, Pilot and Mixer in one binary) it is a
// LocalFeed reading Galley's resources directly, with no MCP hop.
#ifndef KEEL_LIBS_XDS_CONFIG_FEED_H_
#define KEEL_LIBS_XDS_CONFIG_FEED_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "libs/xds/resources.h"

namespace keel::xds {

// One accepted change of one type.
struct ResourceUpdate {
  std::string type_url;
  std::string version;  // version_info / system_version_info
  std::map<std::string, std::shared_ptr<const XdsResource>> updated;  // added or changed
  std::set<std::string> removed;
  // Whether `updated` is the type's whole state (a state-of-the-world
  // response): what it does not name is gone.
  bool full_state = false;
};

class ConfigFeed {
 public:
  // Returns OK to accept an update, or an error to refuse (NACK) it: the
  // feed then keeps what it held before.
  using Handler = std::function<absl::Status(const ResourceUpdate& update)>;

  virtual ~ConfigFeed() = default;

  // Subscribe asks for `type_url`: the named resources, or all of them when
  // `names` is empty. Call before Start.
  virtual void Subscribe(const std::string& type_url, std::set<std::string> names = {}) = 0;
  // Start begins delivering updates to the handler, on a thread of the feed's.
  virtual void Start() = 0;
  // Stop ends delivery; the handler is not called once it returns.
  virtual void Stop() = 0;
  // connected reports whether the feed currently reaches its source.
  virtual bool connected() const = 0;
};

// Makes the feed a service reads its config through, given its handler.
using ConfigFeedFactory = std::function<std::unique_ptr<ConfigFeed>(ConfigFeed::Handler)>;

}  // namespace keel::xds

#endif  // KEEL_LIBS_XDS_CONFIG_FEED_H_
