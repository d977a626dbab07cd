#include "libs/mesh/mixer_config.h"

#include "absl/strings/str_cat.h"
#include "libs/mixer/expression.h"
#include "libs/mixer/template_fields.h"
#include "proto/istio/policy/v1beta1/cfg.pb.h"

namespace keel::mesh {

namespace cfg = ::istio::policy::v1beta1;

std::vector<Diagnostic> TypeCheckMixerConfig(const std::vector<const Resource*>& resources) {
  mixer::AttributeTypes types;
  bool have_manifest = false;
  for (const Resource* resource : resources) {
    if (resource->kind->kind != "attributemanifest") continue;
    have_manifest = true;
    const auto& manifest = static_cast<const cfg::AttributeManifest&>(*resource->spec);
    for (const auto& [name, info] : manifest.attributes()) types[name] = info.value_type();
  }
  std::vector<Diagnostic> out;
  if (!have_manifest) return out;
  auto check = [&](const Resource& resource, const std::string& field, const std::string& text,
                   bool must_be_bool) {
    absl::StatusOr<mixer::Expression> compiled = mixer::Expression::Compile(text, types);
    std::string problem;
    if (!compiled.ok()) {
      problem = std::string(compiled.status().message());
    } else if (must_be_bool && compiled->type() != cfg::BOOL) {
      problem = absl::StrCat("a match must be BOOL, not ", mixer::ValueTypeName(compiled->type()));
    }
    if (problem.empty()) return;
    out.push_back(Diagnostic{.position = resource.position,
                             .resource = resource.DisplayName(),
                             .field = field,
                             .message = absl::StrCat("\"", text, "\": ", problem,
                                                     " (against the attribute manifests)")});
  };
  for (const Resource* resource : resources) {
    if (resource->kind->kind == "rule") {
      const auto& rule = static_cast<const cfg::Rule&>(*resource->spec);
      if (!rule.match().empty()) check(*resource, "spec.match", rule.match(), true);
    } else if (resource->kind->kind == "instance") {
      const auto& instance = static_cast<const cfg::Instance&>(*resource->spec);
      const std::string& name = instance.compiled_template().empty() ? instance.template_()
                                                                     : instance.compiled_template();
      for (const auto& [field, text] : mixer::ExpressionFields(name, instance.params())) {
        check(*resource, "spec.params." + field, text, false);
      }
    }
  }
  return out;
}

}  // namespace keel::mesh
