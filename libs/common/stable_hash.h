// A stable 64-bit FNV-1a hash: the same bytes give the same value in every
// process and on every run (absl::Hash is seeded per process), so versions
// derived from it survive restarts and agree across replicas.
#ifndef KEEL_LIBS_COMMON_STABLE_HASH_H_
#define KEEL_LIBS_COMMON_STABLE_HASH_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/str_format.h"

namespace keel {

class StableHash {
 public:
  // Add mixes in `bytes` followed by a separator, so ("ab","c") and ("a","bc")
  // differ.
  StableHash& Add(std::string_view bytes) {
    for (unsigned char c : bytes) Mix(c);
    Mix(0xff);
    return *this;
  }
  StableHash& Add(uint64_t number) {
    return Add(std::string_view(reinterpret_cast<const char*>(&number), sizeof(number)));
  }
  uint64_t value() const { return value_; }
  // Hex renders the value as 16 hex digits, the form versions take.
  std::string Hex() const { return absl::StrFormat("%016x", value_); }

 private:
  void Mix(unsigned char c) {
    value_ ^= c;
    value_ *= 0x100000001b3ULL;
  }
  uint64_t value_ = 0xcbf29ce484222325ULL;
};

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_STABLE_HASH_H_
