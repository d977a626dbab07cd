#include "libs/mixer/attributes.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/mesh/testing/shared_testdata.h"

namespace keel::mixer {
namespace {

using ::testing::HasSubstr;
using istio::mixer::v1::CompressedAttributes;

const GlobalDictionary& Istio14() {
  static const GlobalDictionary* dictionary = [] {
    absl::StatusOr<GlobalDictionary> parsed = GlobalDictionary::FromFile(
        mesh::testing::IstioTestdataDir() + "/mixer-api-1.4/global_dictionary.yaml");
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return new GlobalDictionary(parsed.ok() ? *std::move(parsed) : GlobalDictionary());
  }();
  return *dictionary;
}

int32_t Word(const std::string& word) {
  std::optional<int32_t> index = Istio14().IndexOf(word);
  EXPECT_TRUE(index.has_value()) << word;
  return index.value_or(0);
}

// The list built into every binary is Istio 1.4's own, word for word as the
// team's copy of istio/api has it.
TEST(GlobalDictionaryTest, TheBuiltInListIsIstio14s) {
  std::shared_ptr<const GlobalDictionary> built_in = GlobalDictionary::Istio14();
  ASSERT_EQ(built_in->size(), 222u);
  ASSERT_EQ(built_in->size(), Istio14().size());
  for (size_t i = 0; i < built_in->size(); ++i) EXPECT_EQ(built_in->word(i), Istio14().word(i)) << i;
}

TEST(GlobalDictionaryTest, IstiosFileIsReadLineByLineVerbatim) {
  ASSERT_EQ(Istio14().size(), 222u);
  EXPECT_EQ(Istio14().word(0), "source.ip");
  // Quoted entries keep their quotes, as Istio's generated word list has
  // them: the file lists '200' and, later, 200 as two words.
  ASSERT_TRUE(Istio14().IndexOf("'200'").has_value());
  ASSERT_TRUE(Istio14().IndexOf("200").has_value());
  EXPECT_LT(*Istio14().IndexOf("'200'"), *Istio14().IndexOf("200"));
  EXPECT_TRUE(Istio14().IndexOf("\"-\"").has_value());
  EXPECT_FALSE(Istio14().IndexOf("-").has_value());
  EXPECT_EQ(Istio14().word(Istio14().size() - 1), "context.proxy_version");

  EXPECT_THAT(GlobalDictionary::Parse("- a\n- b\n- a\n", "d.yaml").status().message(),
              HasSubstr("d.yaml:3: the word \"a\" is already listed"));
  EXPECT_THAT(GlobalDictionary::Parse("# c\nwords:\n", "d.yaml").status().message(),
              HasSubstr("d.yaml:2: expected a \"- word\" entry"));
}

TEST(AttributesTest, EveryTypeDecodesFromGlobalAndOwnWords) {
  CompressedAttributes compressed;
  compressed.add_words("shop");
  compressed.add_words("x-user");
  (*compressed.mutable_strings())[Word("source.namespace")] = -1;
  (*compressed.mutable_strings())[Word("request.method")] = Word("GET");
  (*compressed.mutable_int64s())[Word("response.code")] = 200;
  (*compressed.mutable_doubles())[-2] = 0.5;  // a name of the message's own
  (*compressed.mutable_bools())[Word("connection.mtls")] = true;
  (*compressed.mutable_bytes())[Word("source.ip")] = std::string("\x0a\x00\x00\x01", 4);
  (*compressed.mutable_timestamps())[Word("request.time")].set_seconds(1700000000);
  (*compressed.mutable_durations())[Word("response.duration")].set_nanos(1500000);
  (*(*compressed.mutable_string_maps())[Word("request.headers")].mutable_entries())[Word(
      ":method")] = Word("GET");
  absl::StatusOr<AttributeBag> bag = Decode(compressed, Istio14(), 0);
  ASSERT_TRUE(bag.ok()) << bag.status();
  EXPECT_EQ(std::get<std::string>(bag->at("source.namespace")), "shop");
  EXPECT_EQ(std::get<std::string>(bag->at("request.method")), "GET");
  EXPECT_EQ(std::get<int64_t>(bag->at("response.code")), 200);
  EXPECT_EQ(std::get<double>(bag->at("x-user")), 0.5);
  EXPECT_TRUE(std::get<bool>(bag->at("connection.mtls")));
  EXPECT_EQ(std::get<Bytes>(bag->at("source.ip")).data, std::string("\x0a\x00\x00\x01", 4));
  EXPECT_EQ(std::get<absl::Time>(bag->at("request.time")), absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(std::get<absl::Duration>(bag->at("response.duration")), absl::Microseconds(1500));
  EXPECT_EQ(std::get<StringMap>(bag->at("request.headers")).at(":method"), "GET");

  // Encoding gives the same attributes back.
  absl::StatusOr<AttributeBag> again = Decode(Encode(*bag, Istio14()), Istio14(), 0);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *bag);
}

TEST(AttributesTest, MalformedMessagesAreInvalidArgumentsThatSayWhy) {
  auto fails = [](const CompressedAttributes& compressed, uint32_t global = 0,
                  DecodeLimits limits = {}) {
    absl::StatusOr<AttributeBag> bag = Decode(compressed, Istio14(), global, limits);
    EXPECT_EQ(bag.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(bag.status().message());
  };
  CompressedAttributes past_global;
  (*past_global.mutable_int64s())[5000] = 1;
  EXPECT_THAT(fails(past_global), HasSubstr("word index 5000 is past the 222 global words"));
  CompressedAttributes fewer;
  (*fewer.mutable_int64s())[Word("response.code")] = 1;
  EXPECT_THAT(fails(fewer, 10), HasSubstr("past the 10 global words the client declared"));
  EXPECT_THAT(fails(fewer, 100000), HasSubstr("declares 100000 global words"));
  CompressedAttributes past_own;
  past_own.add_words("a");
  (*past_own.mutable_strings())[-1] = -7;
  EXPECT_THAT(fails(past_own), HasSubstr("word index -7 is past the message's 1 words"));
  CompressedAttributes twice;
  (*twice.mutable_int64s())[Word("response.code")] = 1;
  (*twice.mutable_strings())[Word("response.code")] = Word("GET");
  EXPECT_THAT(fails(twice), HasSubstr("attribute \"response.code\" is given twice"));
  CompressedAttributes bad_time;
  (*bad_time.mutable_timestamps())[Word("request.time")].set_seconds(INT64_MAX);
  EXPECT_THAT(fails(bad_time), HasSubstr("out of range"));
  CompressedAttributes huge_map;
  auto& entries = *(*huge_map.mutable_string_maps())[Word("request.headers")].mutable_entries();
  for (int i = 0; i < 2000; ++i) entries[i % 200] = i % 200;
  for (int i = 0; i < 1100; ++i) huge_map.add_words(std::to_string(i));
  for (int i = 0; i < 1100; ++i) entries[-1 - i] = 0;
  EXPECT_THAT(fails(huge_map), HasSubstr("a string map of 1300 entries; the limit is 1024"));
  EXPECT_THAT(fails(huge_map, 0, DecodeLimits{.max_words = 100}), HasSubstr("1100 words"));
}

// A Report's delta encoding: each set adds to (and overrides) the one before.
TEST(AttributesTest, DeltaEncodingBuildsOnThePreviousSet) {
  const std::vector<std::string> defaults = {"checkout", "cart"};
  CompressedAttributes first, second;
  (*first.mutable_strings())[Word("destination.service.name")] = -1;
  (*first.mutable_int64s())[Word("response.code")] = 200;
  (*second.mutable_int64s())[Word("response.code")] = 503;
  AttributeBag bag;
  DecodeBudget budget;
  ASSERT_TRUE(DecodeInto(first, Istio14(), 0, defaults, bag, budget).ok());
  ASSERT_TRUE(DecodeInto(second, Istio14(), 0, defaults, bag, budget).ok());
  EXPECT_EQ(std::get<std::string>(bag.at("destination.service.name")), "checkout");
  EXPECT_EQ(std::get<int64_t>(bag.at("response.code")), 503);
}

// A Check answer's dependencies survive the trip: global words by index
// (within what the client knows), others as the message's own words.
TEST(AttributesTest, ReferencesRoundTripWithPresenceAndMapKeys) {
  const AttributeBag bag = {
      {"source.principal", std::string("cluster.local/ns/a/sa/b")},
      {"request.headers", StringMap{{"x-user", "john"}}},
  };
  const std::vector<AttributeReference> references = {
      {.name = "source.principal"},
      {.name = "request.headers", .map_key = "x-user"},
      {.name = "request.headers", .map_key = "x-absent"},
      {.name = "my.own.attribute"},
  };
  for (uint32_t known : {0u, 10u}) {
    istio::mixer::v1::ReferencedAttributes encoded =
        EncodeReferences(references, bag, Istio14(), known);
    if (known == 0) {
      EXPECT_EQ(encoded.attribute_matches(0).name(), Word("source.principal"));
    } else {
      EXPECT_LT(encoded.attribute_matches(0).name(), 0) << "beyond the client's 10 words";
    }
    absl::StatusOr<std::vector<ReferencedValue>> decoded = DecodeReferences(encoded, Istio14());
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    ASSERT_EQ(decoded->size(), 4u);
    for (size_t i = 0; i < references.size(); ++i) {
      EXPECT_EQ((*decoded)[i].reference, references[i]) << i;
    }
    EXPECT_TRUE((*decoded)[0].present);
    EXPECT_TRUE((*decoded)[1].present);
    EXPECT_FALSE((*decoded)[2].present);
    EXPECT_FALSE((*decoded)[3].present);
  }
  istio::mixer::v1::ReferencedAttributes bad;
  bad.add_attribute_matches()->set_name(-3);
  EXPECT_THAT(DecodeReferences(bad, Istio14()).status().message(),
              HasSubstr("word index -3 is past the message's 0 words"));
  bad.mutable_attribute_matches(0)->set_name(1);
  bad.mutable_attribute_matches(0)->set_condition(istio::mixer::v1::ReferencedAttributes::REGEX);
  EXPECT_THAT(DecodeReferences(bad, Istio14()).status().message(), HasSubstr("condition REGEX"));
}

// Amplification: a message may repeat a reference to one large word; each
// copy counts against the request's decoded size, so 1 MB cannot become 1 GB.
TEST(AttributesTest, RepeatedReferencesToOneWordAreChargedEachTime) {
  CompressedAttributes check;
  check.add_words(std::string(1 << 20, 'x'));
  for (int i = 0; i < 1000; ++i) {
    check.add_words("name" + std::to_string(i));
    (*check.mutable_strings())[-2 - i] = -1;
  }
  absl::StatusOr<AttributeBag> bag = Decode(check, Istio14(), 0);
  EXPECT_EQ(bag.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(bag.status().message(), HasSubstr("decodes to more than 4194304 bytes"));

  // The same through a string map's values.
  CompressedAttributes map_check;
  map_check.add_words(std::string(1 << 20, 'x'));
  auto& entries = *(*map_check.mutable_string_maps())[Word("request.headers")].mutable_entries();
  for (int i = 0; i < 1000; ++i) {
    map_check.add_words("key" + std::to_string(i));
    entries[-2 - i] = -1;
  }
  EXPECT_EQ(Decode(map_check, Istio14(), 0).status().code(), absl::StatusCode::kResourceExhausted);

  // Three references fit a budget of 4 MiB.
  CompressedAttributes small;
  small.add_words(std::string(1 << 20, 'x'));
  for (int i = 0; i < 3; ++i) {
    small.add_words("name" + std::to_string(i));
    (*small.mutable_strings())[-2 - i] = -1;
  }
  EXPECT_TRUE(Decode(small, Istio14(), 0).ok());
}

// A DELTA_ENCODING Report copies the whole bag per set: each copy is charged.
TEST(AttributesTest, DeltaEncodedReportsAreChargedForEveryCopy) {
  istio::mixer::v1::ReportRequest report;
  report.set_repeated_attributes_semantics(istio::mixer::v1::ReportRequest::DELTA_ENCODING);
  CompressedAttributes& first = *report.add_attributes();
  first.add_words(std::string(64 << 10, 'v'));
  for (int i = 0; i < 16; ++i) {
    first.add_words("name" + std::to_string(i));
    (*first.mutable_strings())[-2 - i] = -1;
  }
  // Each further set adds one integer, and copies the 1 MiB bag before it.
  for (int i = 0; i < 20; ++i) (*report.add_attributes()->mutable_int64s())[Word("response.code")] = i;
  DecodeBudget budget;
  absl::StatusOr<std::vector<AttributeBag>> bags = DecodeReport(report, Istio14(), budget);
  EXPECT_EQ(bags.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(bags.status().message(), HasSubstr("attribute set 2: "));

  // Without delta encoding each set is its own: the same Report decodes.
  report.set_repeated_attributes_semantics(istio::mixer::v1::ReportRequest::INDEPENDENT_ENCODING);
  DecodeBudget independent;
  bags = DecodeReport(report, Istio14(), independent);
  ASSERT_TRUE(bags.ok()) << bags.status();
  EXPECT_EQ(bags->size(), 21u);
  EXPECT_EQ(bags->at(0).size(), 16u);
  EXPECT_EQ(bags->at(1).size(), 1u);
}

TEST(AttributesTest, DefaultWordsAreChargedOncePerReport) {
  istio::mixer::v1::ReportRequest report;
  for (int i = 0; i < 5; ++i) report.add_default_words(std::string(1 << 20, 'a' + i));
  DecodeBudget budget;
  EXPECT_EQ(DecodeReport(report, Istio14(), budget).status().code(),
            absl::StatusCode::kResourceExhausted);
  for (int i = 0; i < 5000; ++i) report.add_default_words("w" + std::to_string(i));
  DecodeBudget again;
  EXPECT_THAT(DecodeReport(report, Istio14(), again).status().message(),
              HasSubstr("5005 default words; the limit is 4096"));
}

// Requests decoded at once share the process's bound; what one held is
// returned when it is done.
TEST(AttributesTest, RequestsInFlightShareOneProcessBound) {
  InflightBytes process(3 << 20);
  CompressedAttributes big;
  big.add_words(std::string(1 << 20, 'x'));
  big.add_words("name");
  (*big.mutable_strings())[-2] = -1;
  std::vector<AttributeBag> bags(4);
  std::vector<std::unique_ptr<DecodeBudget>> budgets;
  absl::Status last;
  for (AttributeBag& bag : bags) {
    budgets.push_back(std::make_unique<DecodeBudget>(DecodeLimits{}, &process));
    last = DecodeInto(big, Istio14(), 0, {}, bag, *budgets.back());
  }
  EXPECT_EQ(last.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(last.message(), HasSubstr("try again"));
  EXPECT_GT(process.used(), 2u << 20);
  budgets.clear();
  EXPECT_EQ(process.used(), 0u);
}

}  // namespace
}  // namespace keel::mixer
