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
    const auto* manifest = resource->As(kinds::AttributeManifest);
    if (manifest == nullptr) continue;
    have_manifest = true;
    for (const auto& [name, info] : manifest->attributes()) types[name] = info.value_type();
  }
  std::vector<Diagnostic> out;
  if (!have_manifest) return out;
  // A rule's match is an expression too: one that must be BOOL.
  auto check = [&](const Resource& resource, const mixer::ExpressionField& field) {
    absl::StatusOr<mixer::Expression> compiled = mixer::CompileField(field, types);
    if (compiled.ok()) return;
    out.push_back(Diagnostic{.position = resource.position,
                             .resource = resource.DisplayName(),
                             .field = field.field,
                             .message = absl::StrCat("\"", field.text, "\": ",
                                                     compiled.status().message(),
                                                     " (against the attribute manifests)")});
  };
  for (const Resource* resource : resources) {
    if (const auto* rule = resource->As(kinds::Rule)) {
      if (!rule->match().empty()) {
        check(*resource, {.field = "spec.match", .text = rule->match(), .type = cfg::BOOL});
      }
    } else if (const auto* instance = resource->As(kinds::Instance)) {
      const std::string& name = instance->compiled_template().empty()
                                    ? instance->template_()
                                    : instance->compiled_template();
      for (mixer::ExpressionField field : mixer::ExpressionFields(name, instance->params())) {
        field.field = "spec.params." + field.field;
        check(*resource, field);
      }
    }
  }
  return out;
}

}  // namespace keel::mesh
