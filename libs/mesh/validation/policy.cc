// Validators for the config.istio.io/v1alpha2 Mixer kinds (Istio 1.4).
#include "absl/strings/str_cat.h"
#include "libs/mesh/validation/rules.h"
#include "libs/mesh/validation/validators.h"
#include "proto/istio/policy/v1beta1/cfg.pb.h"

namespace keel::mesh::validation {

namespace policy = ::istio::policy::v1beta1;

namespace {

// A Mixer expression must at least be lexically whole: balanced brackets and
// closed string literals. (Type checking against the attribute manifest is
// Mixer's job, when it compiles its rules.)
std::string CheckExpressionSyntax(const std::string& expression) {
  std::vector<char> open;
  char quote = 0;
  for (size_t i = 0; i < expression.size(); ++i) {
    const char c = expression[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '(' || c == '[' || c == '{') {
      open.push_back(c);
    } else if (c == ')' || c == ']' || c == '}') {
      const char want = c == ')' ? '(' : c == ']' ? '[' : '{';
      if (open.empty() || open.back() != want) {
        return absl::StrCat("unbalanced '", std::string(1, c), "' at offset ", i, " in expression");
      }
      open.pop_back();
    }
  }
  if (quote != 0) return "unterminated string literal in expression";
  if (!open.empty())
    return absl::StrCat("unclosed '", std::string(1, open.back()), "' in expression");
  return "";
}

}  // namespace

void ValidateHandler(const Resource& resource, FieldErrors& errors) {
  const auto& handler = resource.SpecAs<policy::Handler>();
  if (handler.compiled_adapter().empty() && handler.adapter().empty()) {
    errors.Error("spec.compiledAdapter",
                 "handler must name its adapter (compiledAdapter or adapter)");
  }
  if (!handler.compiled_adapter().empty() && !handler.adapter().empty()) {
    errors.Error("spec.adapter", "only one of compiledAdapter or adapter may be set");
  }
}

void ValidateInstance(const Resource& resource, FieldErrors& errors) {
  const auto& instance = resource.SpecAs<policy::Instance>();
  if (instance.compiled_template().empty() && instance.template_().empty()) {
    errors.Error("spec.compiledTemplate",
                 "instance must name its template (compiledTemplate or template)");
  }
  if (!instance.compiled_template().empty() && !instance.template_().empty()) {
    errors.Error("spec.template", "only one of compiledTemplate or template may be set");
  }
}

void ValidateRule(const Resource& resource, FieldErrors& errors) {
  const auto& rule = resource.SpecAs<policy::Rule>();
  if (std::string problem = CheckExpressionSyntax(rule.match()); !problem.empty()) {
    errors.Error("spec.match", problem);
  }
  for (int i = 0; i < rule.actions_size(); ++i) {
    const auto& action = rule.actions(i);
    const std::string field = absl::StrCat("spec.actions[", i, "]");
    if (action.handler().empty()) errors.Error(field + ".handler", "action must name a handler");
    if (action.instances_size() == 0)
      errors.Error(field + ".instances", "action must name at least one instance");
  }
  for (int i = 0; i < rule.request_header_operations_size(); ++i) {
    const auto& op = rule.request_header_operations(i);
    if (op.name().empty())
      errors.Error(absl::StrCat("spec.requestHeaderOperations[", i, "].name"),
                   "header name is required");
  }
  for (int i = 0; i < rule.response_header_operations_size(); ++i) {
    const auto& op = rule.response_header_operations(i);
    if (op.name().empty())
      errors.Error(absl::StrCat("spec.responseHeaderOperations[", i, "].name"),
                   "header name is required");
  }
}

void ValidateAttributeManifest(const Resource& resource, FieldErrors& errors) {
  const auto& manifest = resource.SpecAs<policy::AttributeManifest>();
  for (const auto& [name, info] : manifest.attributes()) {
    const std::string field = absl::StrCat("spec.attributes[\"", name, "\"]");
    if (name.empty()) errors.Error(field, "attribute name must not be empty");
    if (info.value_type() == policy::VALUE_TYPE_UNSPECIFIED) {
      errors.Error(field + ".valueType", "valueType is required");
    }
  }
}

}  // namespace keel::mesh::validation
