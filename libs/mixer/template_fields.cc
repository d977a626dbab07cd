#include "libs/mixer/template_fields.h"

namespace keel::mixer {

std::vector<std::pair<std::string, std::string>> ExpressionFields(const std::string& template_name,
                                                                  const google::protobuf::Struct& params) {
  std::vector<std::pair<std::string, std::string>> out;
  auto value = params.fields().find("value");
  if ((template_name == "listentry" || template_name == "metric") &&
      value != params.fields().end()) {
    out.emplace_back("value", value->second.string_value());
  }
  if (template_name == "metric" || template_name == "quota") {
    auto dimensions = params.fields().find("dimensions");
    if (dimensions != params.fields().end()) {
      for (const auto& [name, expression] : dimensions->second.struct_value().fields()) {
        out.emplace_back("dimensions." + name, expression.string_value());
      }
    }
  }
  if (template_name == "logentry") {
    for (const char* field : {"severity", "timestamp"}) {
      auto it = params.fields().find(field);
      if (it != params.fields().end()) out.emplace_back(field, it->second.string_value());
    }
    auto variables = params.fields().find("variables");
    if (variables != params.fields().end()) {
      for (const auto& [name, expression] : variables->second.struct_value().fields()) {
        out.emplace_back("variables." + name, expression.string_value());
      }
    }
  }
  return out;
}

}  // namespace keel::mixer
