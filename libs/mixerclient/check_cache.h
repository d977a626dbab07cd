// CheckCache keeps Mixer's Check answers for as long, and as many uses, as
// Mixer said they hold, keyed by exactly the attributes each answer
// depended on (its referenced attributes): a request that agrees with a
// cached one on those gets its answer without an RPC.
//
//   CheckCache cache;
//   if (std::optional<absl::Status> hit = cache.Lookup(bag, absl::Now())) return *hit;
//   ... Check RPC ...
//   cache.Insert(bag, referenced, status, valid_duration, valid_use_count, absl::Now());
#ifndef KEEL_LIBS_MIXERCLIENT_CHECK_CACHE_H_
#define KEEL_LIBS_MIXERCLIENT_CHECK_CACHE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/mixer/attributes.h"

namespace keel::mixerclient {

class CheckCache {
 public:
  // Beyond `max_entries` answers the cache starts over: simple, and a
  // client that sees that many distinct requests gains little from it.
  explicit CheckCache(size_t max_entries = 10000) : max_entries_(max_entries) {}

  // Lookup is the cached answer for `bag`, if one is still valid; it uses
  // one of the answer's uses.
  std::optional<absl::Status> Lookup(const mixer::AttributeBag& bag, absl::Time now);

  // Insert keeps `status` for requests that agree with `bag` on
  // `referenced`. An answer whose references disagree with `bag` (Mixer
  // saw other values than the client sent) is not kept.
  void Insert(const mixer::AttributeBag& bag, const std::vector<mixer::ReferencedValue>& referenced,
              const absl::Status& status, absl::Duration valid_duration, int32_t valid_use_count,
              absl::Time now);

  void Clear();
  size_t size() const;

 private:
  struct Entry {
    absl::Status status;
    absl::Time expires;
    int32_t uses_left = 0;
  };
  using Pattern = std::vector<mixer::AttributeReference>;

  mutable absl::Mutex mu_;
  const size_t max_entries_;
  // The distinct sets of references answers depended on; an entry's key is
  // its pattern's index and the bag's values under the pattern.
  std::vector<Pattern> patterns_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace keel::mixerclient

#endif  // KEEL_LIBS_MIXERCLIENT_CHECK_CACHE_H_
