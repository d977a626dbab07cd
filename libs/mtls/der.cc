#include "libs/mtls/der.h"

#include "absl/strings/str_cat.h"

namespace keel::mtls::der {

std::optional<uint8_t> Reader::PeekTag() const {
  if (rest_.empty()) return std::nullopt;
  return static_cast<uint8_t>(rest_[0]);
}

absl::StatusOr<Element> Reader::NextAny(absl::string_view what) {
  auto malformed = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", why));
  };
  if (rest_.size() < 2) return malformed("truncated");
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(rest_[i]); };
  const uint8_t tag = byte(0);
  if ((tag & 0x1f) == 0x1f) return malformed("high tag numbers are not used here");
  size_t length = byte(1);
  size_t header = 2;
  if (length & 0x80) {
    const size_t octets = length & 0x7f;
    if (octets == 0) return malformed("indefinite length is not DER");
    if (octets > 4) return malformed("length too large");
    if (rest_.size() < 2 + octets) return malformed("truncated length");
    length = 0;
    for (size_t i = 0; i < octets; ++i) length = (length << 8) | byte(2 + i);
    // DER: the shortest form, so a long form holds at least 128 and has no
    // leading zero octet.
    if (length < 0x80 || byte(2) == 0) return malformed("length not minimally encoded");
    header += octets;
  }
  if (length > rest_.size() - header) return malformed("runs past its end");
  Element element{.tag = tag,
                  .contents = rest_.substr(header, length),
                  .encoding = rest_.substr(0, header + length)};
  rest_.remove_prefix(header + length);
  return element;
}

absl::StatusOr<Element> Reader::Next(uint8_t tag, absl::string_view what) {
  std::optional<uint8_t> next = PeekTag();
  if (!next.has_value()) return absl::InvalidArgumentError(absl::StrCat(what, ": missing"));
  if (*next != tag) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": unexpected tag 0x", absl::Hex(static_cast<int>(*next), absl::kZeroPad2),
        " (want 0x", absl::Hex(static_cast<int>(tag), absl::kZeroPad2), ")"));
  }
  return NextAny(what);
}

absl::StatusOr<absl::string_view> BitStringBytes(const Element& bit_string,
                                                 absl::string_view what) {
  if (bit_string.contents.empty() || bit_string.contents[0] != 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a whole number of bytes"));
  }
  return bit_string.contents.substr(1);
}

absl::StatusOr<absl::string_view> PositiveInteger(const Element& integer, absl::string_view what) {
  absl::string_view value = integer.contents;
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": empty integer"));
  const uint8_t first = static_cast<uint8_t>(value[0]);
  if (first & 0x80) return absl::InvalidArgumentError(absl::StrCat(what, ": negative"));
  if (first == 0 && value.size() > 1) {
    if ((static_cast<uint8_t>(value[1]) & 0x80) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": integer not minimally encoded"));
    }
    value.remove_prefix(1);
  }
  return value;
}

}  // namespace keel::mtls::der
