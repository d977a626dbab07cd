// A stable 64-bit FNV-1a hash: the same bytes give the same value in every
// process and on every run (absl::Hash is seeded per process), so versions
// derived from it survive restarts.
#ifndef KEEL_LIBS_MESH_HASH_H_
#define KEEL_LIBS_MESH_HASH_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace keel::mesh {

class Fnv1a {
 public:
  Fnv1a& Add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      value_ ^= c;
      value_ *= 0x100000001b3ULL;
    }
    // A separator, so ("ab","c") and ("a","bc") differ.
    value_ ^= 0xff;
    value_ *= 0x100000001b3ULL;
    return *this;
  }
  Fnv1a& Add(uint64_t number) {
    return Add(std::string_view(reinterpret_cast<const char*>(&number), sizeof(number)));
  }
  uint64_t value() const { return value_; }

 private:
  uint64_t value_ = 0xcbf29ce484222325ULL;
};

// HexVersion renders a hash as 16 hex digits.
std::string HexVersion(uint64_t hash);

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_HASH_H_
