#include "libs/mixer/attributes.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"

namespace keel::mixer {
namespace {

using istio::mixer::v1::CompressedAttributes;

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("attributes: ", message));
}

// Resolves word indexes for one message.
class Words {
 public:
  // The message's own words, or (when it has none) the batch's defaults.
  Words(const GlobalDictionary& dictionary, uint32_t global_count,
        const google::protobuf::RepeatedPtrField<std::string>& own,
        absl::Span<const std::string> defaults)
      : dictionary_(dictionary), global_count_(global_count), own_(own), defaults_(defaults) {}

  size_t local_size() const { return own_.empty() ? defaults_.size() : own_.size(); }

  absl::StatusOr<const std::string*> Get(int32_t index) const {
    if (index >= 0) {
      if (static_cast<uint32_t>(index) >= global_count_) {
        return Invalid(absl::StrCat("word index ", index, " is past the ", global_count_,
                                    " global words the client declared"));
      }
      return &dictionary_.word(static_cast<size_t>(index));
    }
    const int64_t local = -1 - static_cast<int64_t>(index);
    if (static_cast<size_t>(local) >= local_size()) {
      return Invalid(absl::StrCat("word index ", index, " is past the message's ", local_size(),
                                  " words"));
    }
    return own_.empty() ? &defaults_[static_cast<size_t>(local)]
                        : &own_.Get(static_cast<int>(local));
  }

 private:
  const GlobalDictionary& dictionary_;
  const uint32_t global_count_;
  const google::protobuf::RepeatedPtrField<std::string>& own_;
  const absl::Span<const std::string> defaults_;
};

}  // namespace

bool InflightBytes::Reserve(size_t bytes) {
  size_t used = used_.load(std::memory_order_relaxed);
  do {
    if (used + bytes > limit_) return false;
  } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
  return true;
}

DecodeBudget::~DecodeBudget() {
  if (process_ != nullptr) process_->Release(used_);
}

absl::Status DecodeBudget::Charge(size_t bytes) {
  if (used_ + bytes > limit_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "attributes: the request decodes to more than ", limit_, " bytes, the limit per request"));
  }
  if (process_ != nullptr && !process_->Reserve(bytes)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("attributes: requests being decoded hold ", process_->used(),
                     " bytes, near the limit of ", process_->limit(), "; try again"));
  }
  used_ += bytes;
  return absl::OkStatus();
}

namespace {
// What a hash map entry, a string's heap block and a variant cost beside
// their bytes, roughly: small values still count.
constexpr size_t kEntryOverhead = 64;
}  // namespace

size_t DecodedSize(const std::string& name, const AttributeValue& value) {
  size_t size = kEntryOverhead + name.size();
  if (const auto* text = std::get_if<std::string>(&value)) {
    size += text->size();
  } else if (const auto* bytes = std::get_if<Bytes>(&value)) {
    size += bytes->data.size();
  } else if (const auto* map = std::get_if<StringMap>(&value)) {
    for (const auto& [k, v] : *map) size += kEntryOverhead + k.size() + v.size();
  }
  return size;
}

size_t DecodedSize(const AttributeBag& bag) {
  size_t size = 0;
  for (const auto& [name, value] : bag) size += DecodedSize(name, value);
  return size;
}

absl::Status DecodeInto(const CompressedAttributes& compressed, const GlobalDictionary& dictionary,
                        uint32_t global_word_count, absl::Span<const std::string> default_words,
                        AttributeBag& bag, DecodeBudget& budget, const DecodeLimits& limits) {
  if (global_word_count > dictionary.size()) {
    return Invalid(absl::StrCat("the client declares ", global_word_count,
                                " global words; Keel's dictionary has ", dictionary.size()));
  }
  const uint32_t known = global_word_count == 0 ? static_cast<uint32_t>(dictionary.size())
                                                : global_word_count;
  const Words words(dictionary, known, compressed.words(), default_words);
  if (words.local_size() > limits.max_words) {
    return Invalid(absl::StrCat(words.local_size(), " words; the limit is ", limits.max_words));
  }
  const size_t count = compressed.strings_size() + compressed.int64s_size() +
                       compressed.doubles_size() + compressed.bools_size() +
                       compressed.timestamps_size() + compressed.durations_size() +
                       compressed.bytes_size() + compressed.string_maps_size();
  if (count > limits.max_attributes) {
    return Invalid(absl::StrCat(count, " attributes; the limit is ", limits.max_attributes));
  }
  absl::flat_hash_set<absl::string_view> seen;  // names given by this message
  // Every value is charged before it is built: a word referenced a thousand
  // times costs a thousand copies.
  auto put = [&](int32_t name_index, auto make_value) -> absl::Status {
    absl::StatusOr<const std::string*> name = words.Get(name_index);
    if (!name.ok()) return name.status();
    if (!seen.insert(**name).second) {
      return Invalid(absl::StrCat("attribute \"", **name, "\" is given twice"));
    }
    absl::StatusOr<AttributeValue> value = make_value();
    if (!value.ok()) return value.status();
    // A map's entries were charged as they were copied.
    const size_t size = std::holds_alternative<StringMap>(*value)
                            ? kEntryOverhead + (*name)->size()
                            : DecodedSize(**name, *value);
    if (absl::Status charged = budget.Charge(size); !charged.ok()) return charged;
    bag[**name] = *std::move(value);
    return absl::OkStatus();
  };
  for (const auto& [name, value] : compressed.strings()) {
    const int32_t index = value;
    if (absl::Status s = put(name, [&]() -> absl::StatusOr<AttributeValue> {
          absl::StatusOr<const std::string*> text = words.Get(index);
          if (!text.ok()) return text.status();
          return AttributeValue(**text);
        });
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [name, value] : compressed.int64s()) {
    const int64_t number = value;
    if (absl::Status s = put(name, [&] { return absl::StatusOr<AttributeValue>(number); }); !s.ok()) {
      return s;
    }
  }
  for (const auto& [name, value] : compressed.doubles()) {
    const double number = value;
    if (absl::Status s = put(name, [&] { return absl::StatusOr<AttributeValue>(number); }); !s.ok()) {
      return s;
    }
  }
  for (const auto& [name, value] : compressed.bools()) {
    const bool flag = value;
    if (absl::Status s = put(name, [&] { return absl::StatusOr<AttributeValue>(flag); }); !s.ok()) {
      return s;
    }
  }
  for (const auto& [name, value] : compressed.timestamps()) {
    if (value.seconds() < google::protobuf::util::TimeUtil::kTimestampMinSeconds ||
        value.seconds() > google::protobuf::util::TimeUtil::kTimestampMaxSeconds ||
        value.nanos() < 0 || value.nanos() > 999999999) {
      return Invalid(absl::StrCat("timestamp attribute ", name, " is out of range"));
    }
    const absl::Time time = absl::FromUnixSeconds(value.seconds()) + absl::Nanoseconds(value.nanos());
    if (absl::Status s = put(name, [&] { return absl::StatusOr<AttributeValue>(time); }); !s.ok()) {
      return s;
    }
  }
  for (const auto& [name, value] : compressed.durations()) {
    if (value.seconds() < google::protobuf::util::TimeUtil::kDurationMinSeconds ||
        value.seconds() > google::protobuf::util::TimeUtil::kDurationMaxSeconds ||
        value.nanos() < -999999999 || value.nanos() > 999999999 ||
        (value.seconds() > 0 && value.nanos() < 0) || (value.seconds() < 0 && value.nanos() > 0)) {
      return Invalid(absl::StrCat("duration attribute ", name, " is malformed"));
    }
    const absl::Duration duration = absl::Seconds(value.seconds()) + absl::Nanoseconds(value.nanos());
    if (absl::Status s = put(name, [&] { return absl::StatusOr<AttributeValue>(duration); });
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [name, value] : compressed.bytes()) {
    const std::string* data = &value;
    if (absl::Status s = put(name, [&] { return absl::StatusOr<AttributeValue>(Bytes{*data}); });
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [name, map] : compressed.string_maps()) {
    if (static_cast<size_t>(map.entries_size()) > limits.max_map_entries) {
      return Invalid(absl::StrCat("a string map of ", map.entries_size(),
                                  " entries; the limit is ", limits.max_map_entries));
    }
    const auto* entries_in = &map.entries();
    if (absl::Status s = put(name, [&]() -> absl::StatusOr<AttributeValue> {
          // The map's bytes are charged as they are copied, so a map of
          // references to one large word stops at the budget, not after it.
          StringMap entries;
          for (const auto& [key, value] : *entries_in) {
            absl::StatusOr<const std::string*> k = words.Get(key);
            if (!k.ok()) return k.status();
            absl::StatusOr<const std::string*> v = words.Get(value);
            if (!v.ok()) return v.status();
            if (absl::Status charged = budget.Charge(kEntryOverhead + (*k)->size() + (*v)->size());
                !charged.ok()) {
              return charged;
            }
            entries[**k] = **v;
          }
          return AttributeValue(std::move(entries));
        });
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<AttributeBag> Decode(const CompressedAttributes& compressed,
                                    const GlobalDictionary& dictionary, uint32_t global_word_count,
                                    const DecodeLimits& limits) {
  AttributeBag bag;
  DecodeBudget budget(limits);
  if (absl::Status decoded =
          DecodeInto(compressed, dictionary, global_word_count, {}, bag, budget, limits);
      !decoded.ok()) {
    return decoded;
  }
  return bag;
}

absl::StatusOr<std::vector<AttributeBag>> DecodeReport(
    const istio::mixer::v1::ReportRequest& request, const GlobalDictionary& dictionary,
    DecodeBudget& budget, const DecodeLimits& limits) {
  if (static_cast<size_t>(request.default_words_size()) > limits.max_words) {
    return Invalid(absl::StrCat(request.default_words_size(), " default words; the limit is ",
                                limits.max_words));
  }
  size_t default_bytes = 0;
  for (const std::string& word : request.default_words()) default_bytes += kEntryOverhead + word.size();
  if (absl::Status charged = budget.Charge(default_bytes); !charged.ok()) return charged;
  const std::vector<std::string> defaults(request.default_words().begin(),
                                          request.default_words().end());
  const bool delta = request.repeated_attributes_semantics() ==
                     istio::mixer::v1::ReportRequest::DELTA_ENCODING;
  std::vector<AttributeBag> bags;
  AttributeBag bag;
  for (int i = 0; i < request.attributes_size(); ++i) {
    absl::Status decoded = DecodeInto(request.attributes(i), dictionary,
                                      request.global_word_count(), defaults, bag, budget, limits);
    // Under delta encoding the set is copied and built on: the copy costs
    // as much as the whole bag so far.
    if (decoded.ok() && delta) decoded = budget.Charge(DecodedSize(bag));
    if (!decoded.ok()) {
      return absl::Status(decoded.code(), absl::StrCat("attribute set ", i, ": ", decoded.message()));
    }
    if (delta) {
      bags.push_back(bag);
    } else {
      bags.push_back(std::move(bag));
      bag = AttributeBag();
    }
  }
  return bags;
}

bool SetPrincipal(absl::string_view spiffe_id, absl::string_view side, AttributeBag& bag) {
  if (!absl::ConsumePrefix(&spiffe_id, "spiffe://")) return false;
  const std::string principal(spiffe_id);
  bag[absl::StrCat(side, ".principal")] = principal;
  if (side != "source") return true;
  bag["source.user"] = principal;
  if (size_t ns = spiffe_id.find("/ns/"); ns != absl::string_view::npos) {
    absl::string_view rest = spiffe_id.substr(ns + 4);
    bag["source.namespace"] = std::string(rest.substr(0, rest.find('/')));
  }
  return true;
}

CompressedAttributes Encode(const AttributeBag& bag, const GlobalDictionary& dictionary) {
  CompressedAttributes out;
  absl::flat_hash_map<std::string, int32_t> own;
  auto index = [&](const std::string& word) -> int32_t {
    if (std::optional<int32_t> global = dictionary.IndexOf(word)) return *global;
    auto [it, inserted] = own.emplace(word, -1 - static_cast<int32_t>(own.size()));
    if (inserted) out.add_words(word);
    return it->second;
  };
  for (const auto& [name, value] : bag) {
    const int32_t key = index(name);
    if (const auto* text = std::get_if<std::string>(&value)) {
      (*out.mutable_strings())[key] = index(*text);
    } else if (const auto* number = std::get_if<int64_t>(&value)) {
      (*out.mutable_int64s())[key] = *number;
    } else if (const auto* real = std::get_if<double>(&value)) {
      (*out.mutable_doubles())[key] = *real;
    } else if (const auto* flag = std::get_if<bool>(&value)) {
      (*out.mutable_bools())[key] = *flag;
    } else if (const auto* bytes = std::get_if<Bytes>(&value)) {
      (*out.mutable_bytes())[key] = bytes->data;
    } else if (const auto* time = std::get_if<absl::Time>(&value)) {
      google::protobuf::Timestamp& stamp = (*out.mutable_timestamps())[key];
      const absl::Duration since = *time - absl::UnixEpoch();
      stamp.set_seconds(absl::ToInt64Seconds(since));
      stamp.set_nanos(static_cast<int32_t>(
          absl::ToInt64Nanoseconds(since - absl::Seconds(stamp.seconds()))));
    } else if (const auto* duration = std::get_if<absl::Duration>(&value)) {
      google::protobuf::Duration& d = (*out.mutable_durations())[key];
      d.set_seconds(absl::ToInt64Seconds(*duration));
      d.set_nanos(static_cast<int32_t>(
          absl::ToInt64Nanoseconds(*duration - absl::Seconds(d.seconds()))));
    } else if (const auto* map = std::get_if<StringMap>(&value)) {
      auto& entries = *(*out.mutable_string_maps())[key].mutable_entries();
      for (const auto& [k, v] : *map) entries[index(k)] = index(v);
    }
  }
  return out;
}

istio::mixer::v1::ReferencedAttributes EncodeReferences(
    absl::Span<const AttributeReference> references, const AttributeBag& bag,
    const GlobalDictionary& dictionary, uint32_t global_word_count) {
  using Referenced = istio::mixer::v1::ReferencedAttributes;
  const size_t known = global_word_count == 0
                           ? dictionary.size()
                           : std::min<size_t>(global_word_count, dictionary.size());
  Referenced out;
  absl::flat_hash_map<std::string, int32_t> own;
  // A map key is never sent as index 0: 0 is how the field says "no key".
  auto index = [&](const std::string& word, bool map_key = false) -> int32_t {
    if (std::optional<int32_t> global = dictionary.IndexOf(word);
        global.has_value() && static_cast<size_t>(*global) < known && !(map_key && *global == 0)) {
      return *global;
    }
    auto [it, inserted] = own.emplace(word, -1 - static_cast<int32_t>(own.size()));
    if (inserted) out.add_words(word);
    return it->second;
  };
  for (const AttributeReference& reference : references) {
    bool present = false;
    if (auto it = bag.find(reference.name); it != bag.end()) {
      const auto* map = std::get_if<StringMap>(&it->second);
      present = !reference.map_key.has_value() || (map != nullptr && map->count(*reference.map_key));
    }
    Referenced::AttributeMatch& match = *out.add_attribute_matches();
    match.set_name(index(reference.name));
    if (reference.map_key.has_value()) match.set_map_key(index(*reference.map_key, /*map_key=*/true));
    match.set_condition(present ? Referenced::EXACT : Referenced::ABSENCE);
  }
  return out;
}

absl::StatusOr<std::vector<ReferencedValue>> DecodeReferences(
    const istio::mixer::v1::ReferencedAttributes& referenced, const GlobalDictionary& dictionary) {
  using Referenced = istio::mixer::v1::ReferencedAttributes;
  const Words words(dictionary, static_cast<uint32_t>(dictionary.size()), referenced.words(), {});
  std::vector<ReferencedValue> out;
  for (const Referenced::AttributeMatch& match : referenced.attribute_matches()) {
    absl::StatusOr<const std::string*> name = words.Get(match.name());
    if (!name.ok()) return name.status();
    ReferencedValue value{.reference = {.name = **name}};
    // map_key 0 means "no key" (proto3's default); word 0 ("source.ip") is no map key.
    if (match.map_key() != 0) {
      absl::StatusOr<const std::string*> key = words.Get(match.map_key());
      if (!key.ok()) return key.status();
      value.reference.map_key = **key;
    }
    if (match.condition() != Referenced::EXACT && match.condition() != Referenced::ABSENCE) {
      return absl::InvalidArgumentError(absl::StrCat(
          "referenced attribute ", **name, ": condition ", Referenced::Condition_Name(match.condition()),
          " is not one a cache can key on"));
    }
    value.present = match.condition() == Referenced::EXACT;
    out.push_back(std::move(value));
  }
  return out;
}

}  // namespace keel::mixer
