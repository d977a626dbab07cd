// LocalFeeds: in-process subscribers of a ResourceSource. The source's owner
// calls Push(types) whenever types change, exactly as it tells an AdsServer;
// each feed then hands its handler what changed since it last accepted, on a
// thread of its own, so a slow consumer never holds up the publisher.
//
// This is the one-process mode's config hand-off: Pilot and Mixer read
// Galley's resources through the same ConfigFeed interface as over MCP,
// without a gRPC hop, and without decoding them: Galley encodes each
// resource once (for its MCP clients) and attaches the resource itself
// (XdsResource::local), which the consumers' intake takes as it is
// (libs/mesh:config_intake_benchmark measures the difference).
#ifndef KEEL_LIBS_XDS_LOCAL_FEED_H_
#define KEEL_LIBS_XDS_LOCAL_FEED_H_

#include <memory>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "libs/xds/config_feed.h"
#include "libs/xds/resources.h"

namespace keel::xds {

class LocalFeeds {
 public:
  // `source` must outlive this object; feeds must be stopped before it is
  // destroyed.
  explicit LocalFeeds(ResourceSource* source) : source_(source) {}

  // NewFeed returns a feed of this source for one consumer.
  std::unique_ptr<ConfigFeed> NewFeed(ConfigFeed::Handler handler);

  // Push tells every started feed subscribed to one of `type_urls` to
  // deliver what changed. Types the source does not yet hold wait.
  void Push(const std::set<std::string>& type_urls);

 private:
  class Feed;
  void Register(Feed* feed);
  void Unregister(Feed* feed);

  ResourceSource* source_;
  absl::Mutex mu_;
  std::set<Feed*> feeds_ ABSL_GUARDED_BY(mu_);
};

}  // namespace keel::xds

#endif  // KEEL_LIBS_XDS_LOCAL_FEED_H_
