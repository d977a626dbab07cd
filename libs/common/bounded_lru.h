// BoundedLru: a map keyed by string whose entries together may cost at most
// a set number of bytes. Inserting past that evicts the least recently used
// entries. It is how a table keyed by what callers send (a quota's
// dimension values, a metric's labels, a deduplication id) stays bounded
// whatever they send.
//
//   BoundedLru<Window> windows(8 << 20);
//   Window& w = windows.FindOrInsert(key, sizeof(Window)).value;
//
// Not thread-safe: the owner locks.
#ifndef KEEL_LIBS_COMMON_BOUNDED_LRU_H_
#define KEEL_LIBS_COMMON_BOUNDED_LRU_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace keel {

template <typename V>
class BoundedLru {
 public:
  struct Entry {
    std::string key;
    V value;
    size_t cost = 0;
  };
  // Called with each entry as it is evicted (not when erased by the owner).
  using OnEvict = std::function<void(Entry&)>;

  explicit BoundedLru(size_t max_bytes, OnEvict on_evict = nullptr)
      : max_bytes_(max_bytes), on_evict_(std::move(on_evict)) {}

  // Find returns the entry of `key`, now the most recently used; null when
  // there is none.
  Entry* Find(absl::string_view key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &*it->second;
  }

  // FindOrInsert returns the entry of `key`, inserting a default value that
  // costs `value_cost` bytes beside its key when there is none; older
  // entries are evicted to make room (never the one returned).
  Entry& FindOrInsert(absl::string_view key, size_t value_cost) {
    if (Entry* found = Find(key)) return *found;
    const size_t cost = kEntryOverhead + 2 * key.size() + value_cost;
    while (!order_.empty() && bytes_ + cost > max_bytes_) Evict();
    order_.push_front(Entry{.key = std::string(key), .value = V(), .cost = cost});
    index_.emplace(order_.front().key, order_.begin());
    bytes_ += cost;
    return order_.front();
  }

  void Erase(absl::string_view key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    bytes_ -= it->second->cost;
    auto entry = it->second;
    index_.erase(it);
    order_.erase(entry);
  }

  // The least recently used entry, or null when empty.
  Entry* Oldest() { return order_.empty() ? nullptr : &order_.back(); }

  size_t size() const { return index_.size(); }
  size_t bytes() const { return bytes_; }
  size_t max_bytes() const { return max_bytes_; }
  uint64_t evictions() const { return evictions_; }

 private:
  // A list node, a hash slot and two string headers, roughly.
  static constexpr size_t kEntryOverhead = 96;

  void Evict() {
    Entry& oldest = order_.back();
    if (on_evict_) on_evict_(oldest);
    ++evictions_;
    Erase(oldest.key);
  }

  const size_t max_bytes_;
  const OnEvict on_evict_;
  std::list<Entry> order_;  // most recently used first
  absl::flat_hash_map<absl::string_view, typename std::list<Entry>::iterator> index_;
  size_t bytes_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_BOUNDED_LRU_H_
