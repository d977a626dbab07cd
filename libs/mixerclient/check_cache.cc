#include "libs/mixerclient/check_cache.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace keel::mixerclient {
namespace {

using mixer::AttributeBag;
using mixer::AttributeReference;
using mixer::AttributeValue;

void AppendString(absl::string_view text, std::string& out) {
  absl::StrAppend(&out, text.size(), ":", text);
}

template <typename T>
void AppendRaw(const T& value, std::string& out) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

// AppendValue writes `value` unambiguously: its type, then its content.
void AppendValue(const AttributeValue& value, std::string& out) {
  out.push_back(static_cast<char>('0' + value.index()));
  if (const auto* text = std::get_if<std::string>(&value)) {
    AppendString(*text, out);
  } else if (const auto* number = std::get_if<int64_t>(&value)) {
    AppendRaw(*number, out);
  } else if (const auto* real = std::get_if<double>(&value)) {
    AppendRaw(*real, out);
  } else if (const auto* flag = std::get_if<bool>(&value)) {
    out.push_back(*flag ? '1' : '0');
  } else if (const auto* bytes = std::get_if<mixer::Bytes>(&value)) {
    AppendString(bytes->data, out);
  } else if (const auto* time = std::get_if<absl::Time>(&value)) {
    AppendRaw(absl::ToUnixNanos(*time), out);
  } else if (const auto* duration = std::get_if<absl::Duration>(&value)) {
    AppendRaw(absl::ToInt64Nanoseconds(*duration), out);
  } else if (const auto* map = std::get_if<mixer::StringMap>(&value)) {
    absl::StrAppend(&out, map->size(), "{");
    for (const auto& [k, v] : *map) {
      AppendString(k, out);
      AppendString(v, out);
    }
  }
}

// Signature is `bag`'s values under `pattern`, with absences marked; it
// also says, per reference, whether the value was there.
std::string Signature(size_t pattern_index, const std::vector<AttributeReference>& pattern,
                      const AttributeBag& bag, std::vector<bool>* present = nullptr) {
  std::string out = absl::StrCat(pattern_index, "|");
  for (const AttributeReference& reference : pattern) {
    const AttributeValue* value = nullptr;
    std::optional<AttributeValue> key_value;
    if (auto it = bag.find(reference.name); it != bag.end()) {
      if (!reference.map_key.has_value()) {
        value = &it->second;
      } else if (const auto* map = std::get_if<mixer::StringMap>(&it->second)) {
        if (auto entry = map->find(*reference.map_key); entry != map->end()) {
          key_value = entry->second;
          value = &*key_value;
        }
      }
    }
    if (present != nullptr) present->push_back(value != nullptr);
    if (value == nullptr) {
      out.push_back('-');
    } else {
      out.push_back('+');
      AppendValue(*value, out);
    }
  }
  return out;
}

}  // namespace

std::optional<absl::Status> CheckCache::Lookup(const AttributeBag& bag, absl::Time now) {
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < patterns_.size(); ++i) {
    auto it = entries_.find(Signature(i, patterns_[i], bag));
    if (it == entries_.end()) continue;
    Entry& entry = it->second;
    if (now >= entry.expires || entry.uses_left <= 0) {
      entries_.erase(it);
      continue;
    }
    --entry.uses_left;
    return entry.status;
  }
  return std::nullopt;
}

void CheckCache::Insert(const AttributeBag& bag,
                        const std::vector<mixer::ReferencedValue>& referenced,
                        const absl::Status& status, absl::Duration valid_duration,
                        int32_t valid_use_count, absl::Time now) {
  if (valid_duration <= absl::ZeroDuration() || valid_use_count <= 0) return;
  Pattern pattern;
  for (const mixer::ReferencedValue& value : referenced) pattern.push_back(value.reference);
  absl::MutexLock lock(&mu_);
  if (entries_.size() >= max_entries_) {
    entries_.clear();
    patterns_.clear();
  }
  size_t index = 0;
  while (index < patterns_.size() && patterns_[index] != pattern) ++index;
  std::vector<bool> present;
  std::string key = Signature(index, pattern, bag, &present);
  for (size_t i = 0; i < referenced.size(); ++i) {
    if (present[i] != referenced[i].present) return;
  }
  if (index == patterns_.size()) patterns_.push_back(std::move(pattern));
  // The answer's own first use was this request.
  entries_[std::move(key)] =
      Entry{.status = status, .expires = now + valid_duration, .uses_left = valid_use_count - 1};
}

void CheckCache::Clear() {
  absl::MutexLock lock(&mu_);
  entries_.clear();
  patterns_.clear();
}

size_t CheckCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace keel::mixerclient
