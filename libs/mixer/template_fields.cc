#include "libs/mixer/template_fields.h"

#include "absl/strings/str_cat.h"

namespace keel::mixer {

std::vector<ExpressionField> ExpressionFields(const std::string& template_name,
                                             const google::protobuf::Struct& params) {
  namespace vt = istio::policy::v1beta1;
  std::vector<ExpressionField> out;
  auto add = [&out](std::string field, std::string text, vt::ValueType type = vt::VALUE_TYPE_UNSPECIFIED) {
    out.push_back(ExpressionField{.field = std::move(field), .text = std::move(text), .type = type});
  };
  auto value = params.fields().find("value");
  if ((template_name == "listentry" || template_name == "metric") &&
      value != params.fields().end()) {
    // Any type: listentry's is a STRING or an IP_ADDRESS (Istio's IP
    // whitelist sample: `source.ip | ip("0.0.0.0")`).
    add("value", value->second.string_value());
  }
  if (template_name == "metric" || template_name == "quota") {
    auto dimensions = params.fields().find("dimensions");
    if (dimensions != params.fields().end()) {
      for (const auto& [name, expression] : dimensions->second.struct_value().fields()) {
        add("dimensions." + name, expression.string_value());
      }
    }
  }
  if (template_name == "logentry") {
    if (auto it = params.fields().find("severity"); it != params.fields().end()) {
      add("severity", it->second.string_value(), vt::STRING);
    }
    if (auto it = params.fields().find("timestamp"); it != params.fields().end()) {
      add("timestamp", it->second.string_value(), vt::TIMESTAMP);
    }
    auto variables = params.fields().find("variables");
    if (variables != params.fields().end()) {
      for (const auto& [name, expression] : variables->second.struct_value().fields()) {
        add("variables." + name, expression.string_value());
      }
    }
  }
  if (template_name == "authorization") {
    // subject {user, groups, properties}, action {namespace, service,
    // method, path, properties}: each an expression.
    for (const char* part : {"subject", "action"}) {
      auto it = params.fields().find(part);
      if (it == params.fields().end()) continue;
      for (const auto& [name, value] : it->second.struct_value().fields()) {
        if (name == "properties") {
          for (const auto& [key, expression] : value.struct_value().fields()) {
            add(absl::StrCat(part, ".properties.", key), expression.string_value());
          }
        } else {
          // user, groups, namespace, service, method, path: strings.
          add(absl::StrCat(part, ".", name), value.string_value(), vt::STRING);
        }
      }
    }
  }
  return out;
}

absl::StatusOr<Expression> CompileField(const ExpressionField& field, const AttributeTypes& types) {
  absl::StatusOr<Expression> expression = Expression::Compile(field.text, types);
  if (!expression.ok()) return expression.status();
  if (field.type != istio::policy::v1beta1::VALUE_TYPE_UNSPECIFIED && expression->type() != field.type) {
    return absl::InvalidArgumentError(absl::StrCat("is ", ValueTypeName(expression->type()),
                                                   "; the template needs ", ValueTypeName(field.type)));
  }
  return expression;
}

}  // namespace keel::mixer
