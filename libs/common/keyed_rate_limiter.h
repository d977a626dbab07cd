// KeyedRateLimiter: a token bucket per key (an identity, a token), for
// limits that callers must not be able to spend for each other. The table
// of buckets is bounded in bytes (BoundedLru): past it, the least recently
// used bucket is forgotten, which can only be generous to a key that was
// idle the longest.
//
//   KeyedRateLimiter per_identity(/*per_second=*/10, /*burst=*/100);
//   if (auto wait = per_identity.Take(identity)) return Refuse(... *wait ...);
#ifndef KEEL_LIBS_COMMON_KEYED_RATE_LIMITER_H_
#define KEEL_LIBS_COMMON_KEYED_RATE_LIMITER_H_

#include <algorithm>
#include <functional>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/common/bounded_lru.h"

namespace keel {

class KeyedRateLimiter {
 public:
  // `per_second` <= 0 lets everything through.
  KeyedRateLimiter(double per_second, double burst, size_t max_bytes = 4 << 20,
                   std::function<absl::Time()> clock = absl::Now)
      : per_second_(per_second),
        burst_(std::max(1.0, burst)),
        clock_(std::move(clock)),
        buckets_(max_bytes) {}

  // Take spends one of `key`'s tokens: nullopt when it had one, else how
  // long until it will.
  std::optional<absl::Duration> Take(absl::string_view key) {
    if (per_second_ <= 0) return std::nullopt;
    const absl::Time now = clock_();
    absl::MutexLock lock(&mu_);
    BoundedLru<Bucket>::Entry* entry = buckets_.Find(key);
    if (entry == nullptr) {
      entry = &buckets_.FindOrInsert(key, sizeof(Bucket));
      entry->value = Bucket{.tokens = burst_, .last = now};
    }
    Bucket& bucket = entry->value;
    bucket.tokens = std::min(burst_, bucket.tokens + absl::ToDoubleSeconds(now - bucket.last) * per_second_);
    bucket.last = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return std::nullopt;
    }
    return absl::Seconds((1 - bucket.tokens) / per_second_);
  }

  double per_second() const { return per_second_; }
  double burst() const { return burst_; }

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time last;
  };
  const double per_second_;
  const double burst_;
  const std::function<absl::Time()> clock_;
  absl::Mutex mu_;
  BoundedLru<Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_KEYED_RATE_LIMITER_H_
