#include "libs/kube/json_spans.h"

#include <cctype>

#include "absl/strings/str_cat.h"

namespace keel::kube {
namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Take(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= text_.size();
  }
  // String reads a string literal; returns its raw contents.
  absl::StatusOr<std::string_view> String() {
    SkipSpace();
    if (pos_ >= text_.size() || text_[pos_] != '"') return Error("a string");
    const size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != '"') pos_ += text_[pos_] == '\\' ? 2 : 1;
    if (pos_ >= text_.size()) return Error("the end of a string");
    return text_.substr(start, pos_++ - start);
  }
  // Value skips one value (of any type) and returns its text.
  absl::StatusOr<std::string_view> Value() {
    SkipSpace();
    if (pos_ >= text_.size()) return Error("a value");
    const size_t start = pos_;
    if (text_[pos_] == '"') {
      if (auto s = String(); !s.ok()) return s.status();
      return text_.substr(start, pos_ - start);
    }
    if (text_[pos_] == '{' || text_[pos_] == '[') {
      int depth = 0;
      while (pos_ < text_.size()) {
        const char c = text_[pos_];
        if (c == '"') {
          if (auto s = String(); !s.ok()) return s.status();
          continue;
        }
        ++pos_;
        if (c == '{' || c == '[') ++depth;
        if ((c == '}' || c == ']') && --depth == 0) return text_.substr(start, pos_ - start);
      }
      return Error("the end of an object or array");
    }
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' && text_[pos_] != ']' &&
           !std::isspace(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }
  absl::Status Error(const char* wanted) const {
    return absl::InvalidArgumentError(absl::StrCat("JSON: at offset ", pos_, ": want ", wanted));
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<std::map<std::string, std::string_view>> JsonMembers(std::string_view text) {
  Scanner scan(text);
  std::map<std::string, std::string_view> members;
  if (!scan.Take('{')) return scan.Error("'{'");
  if (!scan.Take('}')) {
    do {
      absl::StatusOr<std::string_view> name = scan.String();
      if (!name.ok()) return name.status();
      if (!scan.Take(':')) return scan.Error("':'");
      absl::StatusOr<std::string_view> value = scan.Value();
      if (!value.ok()) return value.status();
      members[std::string(*name)] = *value;
    } while (scan.Take(','));
    if (!scan.Take('}')) return scan.Error("',' or '}'");
  }
  if (!scan.AtEnd()) return scan.Error("nothing after the object");
  return members;
}

absl::StatusOr<std::vector<std::string_view>> JsonElements(std::string_view text) {
  Scanner scan(text);
  std::vector<std::string_view> elements;
  if (!scan.Take('[')) return scan.Error("'['");
  if (!scan.Take(']')) {
    do {
      absl::StatusOr<std::string_view> value = scan.Value();
      if (!value.ok()) return value.status();
      elements.push_back(*value);
    } while (scan.Take(','));
    if (!scan.Take(']')) return scan.Error("',' or ']'");
  }
  if (!scan.AtEnd()) return scan.Error("nothing after the array");
  return elements;
}

}  // namespace keel::kube
