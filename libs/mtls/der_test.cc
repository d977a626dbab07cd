#include "libs/mtls/der.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::mtls::der {
namespace {

using ::testing::HasSubstr;

absl::string_view Bytes(const std::string& s) { return s; }

TEST(DerReaderTest, ReadsShortAndLongLengthsAndNestedElements) {
  // SEQUENCE { INTEGER 5, OCTET STRING of 200 bytes (long form 0x81 0xc8) }
  std::string octets(200, 'x');
  std::string inner = std::string("\x02\x01\x05\x04\x81\xc8", 6) + octets;
  std::string input = std::string("\x30\x81") + static_cast<char>(inner.size()) + inner;
  Reader top(Bytes(input));
  absl::StatusOr<Element> sequence = top.Next(kSequence, "outer");
  ASSERT_TRUE(sequence.ok()) << sequence.status();
  EXPECT_TRUE(top.empty());
  EXPECT_EQ(sequence->encoding.size(), input.size());
  Reader fields(sequence->contents);
  absl::StatusOr<Element> integer = fields.Next(kInteger, "n");
  ASSERT_TRUE(integer.ok());
  EXPECT_EQ(integer->contents, "\x05");
  EXPECT_EQ(fields.PeekTag(), kOctetString);
  absl::StatusOr<Element> string = fields.NextAny("s");
  ASSERT_TRUE(string.ok());
  EXPECT_EQ(string->contents, octets);
  EXPECT_FALSE(fields.PeekTag().has_value());
}

TEST(DerReaderTest, RefusesWhatIsNotDer) {
  auto error = [](const std::string& input) {
    Reader reader(Bytes(input));
    absl::StatusOr<Element> element = reader.NextAny("field");
    EXPECT_FALSE(element.ok()) << "accepted " << input.size() << " bytes";
    return std::string(element.status().message());
  };
  EXPECT_THAT(error(std::string("\x30\x80\x00\x00", 4)), HasSubstr("indefinite length"));
  EXPECT_THAT(error(std::string("\x04\x81\x05hello", 8)), HasSubstr("not minimally encoded"));
  EXPECT_THAT(error(std::string("\x04\x82\x00\x90", 4)), HasSubstr("not minimally encoded"));
  EXPECT_THAT(error(std::string("\x04\x85\x01\x01\x01\x01\x01", 7)), HasSubstr("too large"));
  EXPECT_THAT(error(std::string("\x04\x05hi", 4)), HasSubstr("field: runs past its end"));
  EXPECT_THAT(error(std::string("\x1f\x81\x01\x00", 4)), HasSubstr("high tag"));
  EXPECT_THAT(error(std::string("\x04", 1)), HasSubstr("truncated"));
  EXPECT_THAT(error(std::string("\x04\x83\x01", 3)), HasSubstr("truncated length"));
  const std::string integer("\x02\x01\x01", 3);
  Reader reader(integer);
  EXPECT_THAT(reader.Next(kSequence, "info").status().message(),
              HasSubstr("info: unexpected tag 0x02 (want 0x30)"));
}

TEST(DerReaderTest, BitStringsAndIntegers) {
  EXPECT_EQ(*BitStringBytes({.tag = kBitString, .contents = absl::string_view("\x00\xab", 2)},
                            "key"),
            "\xab");
  EXPECT_THAT(BitStringBytes({.tag = kBitString, .contents = "\x03\xab"}, "key").status().message(),
              HasSubstr("whole number of bytes"));
  EXPECT_EQ(*PositiveInteger({.tag = kInteger, .contents = absl::string_view("\x00\x80", 2)}, "n"),
            "\x80");
  EXPECT_THAT(PositiveInteger({.tag = kInteger, .contents = "\x80"}, "n").status().message(),
              HasSubstr("negative"));
  EXPECT_THAT(PositiveInteger({.tag = kInteger, .contents = absl::string_view("\x00\x01", 2)}, "n")
                  .status()
                  .message(),
              HasSubstr("not minimally encoded"));
}

}  // namespace
}  // namespace keel::mtls::der
