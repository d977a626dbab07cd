#include "libs/common/yaml_json.h"

#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace keel {

void WriteYamlAsJson(const YAML::Node& node, JsonWriter& json,
                     const std::function<std::string(const std::string&)>& rewrite) {
  if (!node || node.IsNull()) {
    json.Raw("null");
  } else if (node.IsMap()) {
    json.BeginObject();
    for (const auto& entry : node) {
      json.Key(entry.first.Scalar());
      WriteYamlAsJson(entry.second, json, rewrite);
    }
    json.EndObject();
  } else if (node.IsSequence()) {
    json.BeginArray();
    for (const YAML::Node& item : node) WriteYamlAsJson(item, json, rewrite);
    json.EndArray();
  } else {
    const std::string& text = node.Scalar();
    if (node.Tag() != "!") {  // plain, not quoted
      absl::string_view digits = text;
      const bool octal = (digits.size() > 1 && digits[0] == '0' &&
                          digits.find_first_not_of("01234567") == absl::string_view::npos) ||
                         absl::ConsumePrefix(&digits, "0o");
      if (octal && !digits.empty() && digits.find_first_not_of("01234567") == absl::string_view::npos) {
        json.Int(std::stoll(std::string(digits), nullptr, 8));
        return;
      }
      int64_t number = 0;
      if (absl::SimpleAtoi(text, &number)) {
        json.Int(number);
        return;
      }
      if (text == "true" || text == "false") {
        json.Bool(text == "true");
        return;
      }
      if (text == "null" || text == "~") {
        json.Raw("null");
        return;
      }
    }
    json.String(rewrite ? rewrite(text) : text);
  }
}

std::string YamlToJson(const YAML::Node& node) {
  JsonWriter json;
  WriteYamlAsJson(node, json);
  return json.Take();
}

}  // namespace keel
