#include "libs/mixer/global_dictionary.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/files.h"

namespace keel::mixer {

absl::StatusOr<GlobalDictionary> GlobalDictionary::Parse(absl::string_view text,
                                                         absl::string_view file) {
  GlobalDictionary dictionary;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    const absl::string_view trimmed = absl::StripTrailingAsciiWhitespace(line);
    if (trimmed.empty() || absl::StartsWith(trimmed, "#")) continue;
    if (!absl::StartsWith(trimmed, "- ") || trimmed.size() == 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ":", line_number, ": expected a \"- word\" entry"));
    }
    std::string word(trimmed.substr(2));
    const int32_t index = static_cast<int32_t>(dictionary.words_.size());
    if (!dictionary.index_.emplace(word, index).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ":", line_number, ": the word \"", word, "\" is already listed"));
    }
    dictionary.words_.push_back(std::move(word));
  }
  return dictionary;
}

absl::StatusOr<GlobalDictionary> GlobalDictionary::FromFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

// The bytes of istio.io/api's mixer/v1/global_dictionary.yaml at the
// version Istio 1.4 builds with (see scripts/install-deps.sh).
extern "C" const char keel_istio14_global_dictionary[];
extern "C" const char keel_istio14_global_dictionary_end[];

std::shared_ptr<const GlobalDictionary> GlobalDictionary::Istio14() {
  static const std::shared_ptr<const GlobalDictionary>* dictionary = [] {
    absl::StatusOr<GlobalDictionary> parsed =
        Parse(absl::string_view(keel_istio14_global_dictionary,
                                keel_istio14_global_dictionary_end - keel_istio14_global_dictionary),
              "istio.io/api mixer/v1/global_dictionary.yaml (Istio 1.4)");
    // The file is pinned and was parsed in the build's tests: it parses.
    return new std::shared_ptr<const GlobalDictionary>(
        std::make_shared<const GlobalDictionary>(parsed.ok() ? *std::move(parsed) : GlobalDictionary()));
  }();
  return *dictionary;
}

std::optional<int32_t> GlobalDictionary::IndexOf(absl::string_view word) const {
  auto it = index_.find(word);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

}  // namespace keel::mixer
