// Istio's global word list for compressed Mixer attributes
// (istio/api mixer/v1/global_dictionary.yaml). Index N >= 0 of a compressed
// attribute names the Nth word. The file is read as Istio's code generators
// read it: line by line, each "- word" entry verbatim, so that `- '200'` is
// the word '200' with its quotes (a YAML parser would drop them and shift
// nothing but change the words).
#ifndef KEEL_LIBS_MIXER_GLOBAL_DICTIONARY_H_
#define KEEL_LIBS_MIXER_GLOBAL_DICTIONARY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace keel::mixer {

class GlobalDictionary {
 public:
  // Parse reads the file's text; InvalidArgument names the line of an entry
  // it cannot read or a word given twice.
  static absl::StatusOr<GlobalDictionary> Parse(absl::string_view text,
                                                absl::string_view file = "global_dictionary.yaml");
  static absl::StatusOr<GlobalDictionary> FromFile(const std::string& path);
  // Istio 1.4's own list (222 words), built into every binary: what an
  // unmodified 1.4 client compresses with, so it is every default.
  static std::shared_ptr<const GlobalDictionary> Istio14();
  GlobalDictionary() = default;

  size_t size() const { return words_.size(); }
  const std::string& word(size_t index) const { return words_[index]; }
  // IndexOf is the word's index, if it is one.
  std::optional<int32_t> IndexOf(absl::string_view word) const;

 private:
  std::vector<std::string> words_;
  absl::flat_hash_map<std::string, int32_t> index_;
};

}  // namespace keel::mixer

#endif  // KEEL_LIBS_MIXER_GLOBAL_DICTIONARY_H_
