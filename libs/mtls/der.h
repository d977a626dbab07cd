// A strict reader of DER (ITU-T X.690), for the few structures libs/mtls
// reads without OpenSSL's decoders: in OpenSSL 3.0 decoding a request's
// public key builds a decoder chain on every call, which cost Citadel more
// than the signature it checks.
#ifndef KEEL_LIBS_MTLS_DER_H_
#define KEEL_LIBS_MTLS_DER_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace keel::mtls::der {

// Tags of the universal types Keel reads, and context-specific ones.
inline constexpr uint8_t kInteger = 0x02;
inline constexpr uint8_t kBitString = 0x03;
inline constexpr uint8_t kOctetString = 0x04;
inline constexpr uint8_t kNull = 0x05;
inline constexpr uint8_t kObjectIdentifier = 0x06;
inline constexpr uint8_t kSequence = 0x30;
inline constexpr uint8_t kSet = 0x31;
constexpr uint8_t ContextConstructed(int number) { return 0xa0 | number; }

// One element: its tag, its contents, and the whole encoding (tag, length
// and contents), which views the reader's input.
struct Element {
  uint8_t tag = 0;
  absl::string_view contents;
  absl::string_view encoding;
};

// Reader walks the elements of one level of a DER encoding. Only the
// low-tag-number form and definite, minimal lengths are DER; anything else
// is refused, as is an element running past its input.
class Reader {
 public:
  explicit Reader(absl::string_view input) : rest_(input) {}

  bool empty() const { return rest_.empty(); }
  // PeekTag is the next element's tag, if there is one.
  std::optional<uint8_t> PeekTag() const;
  // Next reads the next element, which must have `tag`; errors are
  // InvalidArgument naming `what`.
  absl::StatusOr<Element> Next(uint8_t tag, absl::string_view what);
  // NextAny reads the next element whatever its tag.
  absl::StatusOr<Element> NextAny(absl::string_view what);

 private:
  absl::string_view rest_;
};

// BitStringBytes is a BIT STRING's bytes when it has no unused bits (keys
// and signatures), else InvalidArgument naming `what`.
absl::StatusOr<absl::string_view> BitStringBytes(const Element& bit_string, absl::string_view what);

// PositiveInteger is an INTEGER's magnitude, without the sign octet DER adds
// before a high bit; InvalidArgument for a negative or non-minimal one.
absl::StatusOr<absl::string_view> PositiveInteger(const Element& integer, absl::string_view what);

}  // namespace keel::mtls::der

#endif  // KEEL_LIBS_MTLS_DER_H_
