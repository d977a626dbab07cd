#include "libs/xds/local_feed.h"

#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/xds/testing/static_source.h"

namespace keel::xds {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Collects what a feed delivers; refuses updates while `refuse` is set.
struct Recorder {
  absl::Mutex mu;
  std::vector<ResourceUpdate> updates ABSL_GUARDED_BY(mu);
  bool refuse ABSL_GUARDED_BY(mu) = false;

  ConfigFeed::Handler Handler() {
    return [this](const ResourceUpdate& update) {
      absl::MutexLock lock(&mu);
      if (refuse) return absl::InvalidArgumentError("refused");
      updates.push_back(update);
      return absl::OkStatus();
    };
  }
  // Waits (up to 10 s) for the n-th accepted update and returns a copy of it.
  ResourceUpdate Next(size_t n) {
    absl::MutexLock lock(&mu);
    auto arrived = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return updates.size() >= n; };
    mu.AwaitWithTimeout(absl::Condition(&arrived), absl::Seconds(10));
    return updates.size() >= n ? updates[n - 1] : ResourceUpdate{};
  }
};

std::vector<std::string> Keys(const ResourceUpdate& update) {
  std::vector<std::string> keys;
  for (const auto& [name, resource] : update.updated) keys.push_back(name);
  return keys;
}

TEST(LocalFeedTest, DeliversTheFullStateThenOnlyWhatChanged) {
  testing::StaticSource source;
  source.Set("type/a", {{"x", "1"}, {"y", "1"}});
  source.Set("type/b", {});
  LocalFeeds feeds(&source);
  Recorder recorder;
  std::unique_ptr<ConfigFeed> feed = feeds.NewFeed(recorder.Handler());
  feed->Subscribe("type/a");
  feed->Subscribe("type/b");
  feed->Start();
  EXPECT_TRUE(feed->connected());

  // Both types arrive, the empty one too (a consumer must know it holds it).
  ResourceUpdate first = recorder.Next(1);
  ResourceUpdate second = recorder.Next(2);
  EXPECT_EQ(first.type_url, "type/a");
  EXPECT_THAT(Keys(first), ElementsAre("x", "y"));
  EXPECT_EQ(second.type_url, "type/b");
  EXPECT_THAT(Keys(second), IsEmpty());

  source.Set("type/a", {{"x", "2"}, {"z", "1"}});
  feeds.Push({"type/a"});
  ResourceUpdate third = recorder.Next(3);
  EXPECT_THAT(Keys(third), ElementsAre("x", "z"));
  EXPECT_THAT(third.removed, ElementsAre("y"));
  EXPECT_EQ(third.version, "x=2;z=1;");
  feed->Stop();
  EXPECT_FALSE(feed->connected());
}

TEST(LocalFeedTest, WaitsForTheSourceAndRetriesARefusedChange) {
  testing::StaticSource source;
  source.SetReady(false);
  source.Set("type/a", {{"x", "1"}});
  LocalFeeds feeds(&source);
  Recorder recorder;
  std::unique_ptr<ConfigFeed> feed = feeds.NewFeed(recorder.Handler());
  feed->Subscribe("type/a");
  feed->Start();
  {
    absl::MutexLock lock(&recorder.mu);
    EXPECT_THAT(recorder.updates, IsEmpty());  // nothing while the source is not ready
    recorder.refuse = true;
  }
  source.SetReady(true);
  feeds.Push({"type/a"});  // refused: the feed keeps nothing
  source.Set("type/a", {{"x", "1"}, {"w", "1"}});
  {
    absl::MutexLock lock(&recorder.mu);
    recorder.refuse = false;
  }
  feeds.Push({"type/a"});
  ResourceUpdate accepted = recorder.Next(1);
  // Everything the source holds, since nothing was accepted before.
  EXPECT_THAT(Keys(accepted), ElementsAre("w", "x"));
}

}  // namespace
}  // namespace keel::xds
