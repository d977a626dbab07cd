#include "libs/mixer/attributes.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
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

absl::Status DecodeInto(const CompressedAttributes& compressed, const GlobalDictionary& dictionary,
                        uint32_t global_word_count, absl::Span<const std::string> default_words,
                        AttributeBag& bag, const DecodeLimits& limits) {
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
  size_t total_bytes = 0;
  for (const std::string& word : compressed.words()) total_bytes += word.size();
  absl::flat_hash_map<std::string, bool> seen;  // names given by this message
  auto put = [&](int32_t name_index, AttributeValue value) -> absl::Status {
    absl::StatusOr<const std::string*> name = words.Get(name_index);
    if (!name.ok()) return name.status();
    if (!seen.emplace(**name, true).second) {
      return Invalid(absl::StrCat("attribute \"", **name, "\" is given twice"));
    }
    bag[**name] = std::move(value);
    return absl::OkStatus();
  };
  for (const auto& [name, value] : compressed.strings()) {
    absl::StatusOr<const std::string*> text = words.Get(value);
    if (!text.ok()) return text.status();
    if (absl::Status s = put(name, **text); !s.ok()) return s;
  }
  for (const auto& [name, value] : compressed.int64s()) {
    if (absl::Status s = put(name, value); !s.ok()) return s;
  }
  for (const auto& [name, value] : compressed.doubles()) {
    if (absl::Status s = put(name, value); !s.ok()) return s;
  }
  for (const auto& [name, value] : compressed.bools()) {
    if (absl::Status s = put(name, value); !s.ok()) return s;
  }
  for (const auto& [name, value] : compressed.timestamps()) {
    if (value.seconds() < google::protobuf::util::TimeUtil::kTimestampMinSeconds ||
        value.seconds() > google::protobuf::util::TimeUtil::kTimestampMaxSeconds ||
        value.nanos() < 0 || value.nanos() > 999999999) {
      return Invalid(absl::StrCat("timestamp attribute ", name, " is out of range"));
    }
    if (absl::Status s = put(name, absl::FromUnixSeconds(value.seconds()) +
                                       absl::Nanoseconds(value.nanos()));
        !s.ok()) {
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
    if (absl::Status s =
            put(name, absl::Seconds(value.seconds()) + absl::Nanoseconds(value.nanos()));
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [name, value] : compressed.bytes()) {
    total_bytes += value.size();
    if (absl::Status s = put(name, Bytes{value}); !s.ok()) return s;
  }
  for (const auto& [name, map] : compressed.string_maps()) {
    if (static_cast<size_t>(map.entries_size()) > limits.max_map_entries) {
      return Invalid(absl::StrCat("a string map of ", map.entries_size(),
                                  " entries; the limit is ", limits.max_map_entries));
    }
    StringMap entries;
    for (const auto& [key, value] : map.entries()) {
      absl::StatusOr<const std::string*> k = words.Get(key);
      if (!k.ok()) return k.status();
      absl::StatusOr<const std::string*> v = words.Get(value);
      if (!v.ok()) return v.status();
      total_bytes += (*k)->size() + (*v)->size();
      entries[**k] = **v;
    }
    if (absl::Status s = put(name, std::move(entries)); !s.ok()) return s;
  }
  if (total_bytes > limits.max_bytes) {
    return Invalid(absl::StrCat(total_bytes, " bytes of text; the limit is ", limits.max_bytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<AttributeBag> Decode(const CompressedAttributes& compressed,
                                    const GlobalDictionary& dictionary, uint32_t global_word_count,
                                    const DecodeLimits& limits) {
  AttributeBag bag;
  if (absl::Status decoded = DecodeInto(compressed, dictionary, global_word_count, {}, bag, limits);
      !decoded.ok()) {
    return decoded;
  }
  return bag;
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
