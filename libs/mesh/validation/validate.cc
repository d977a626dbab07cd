#include "libs/mesh/validation/validate.h"

#include "absl/strings/str_cat.h"
#include "libs/mesh/validation/field_errors.h"
#include "libs/mesh/validation/rules.h"

namespace keel::mesh {

namespace {

void ValidateMetadata(const Resource& resource, FieldErrors& errors) {
  using validation::IsDns1123Subdomain;
  if (!IsDns1123Subdomain(resource.name)) {
    errors.Error("metadata.name",
                 absl::StrCat("invalid name \"", resource.name,
                              "\": must be a lower-case DNS-1123 subdomain (a-z, 0-9, '-', '.')"));
  }
  Check(errors, "metadata.namespace", validation::CheckNamespaceName(resource.namespace_name));
  Check(errors, "metadata.labels", validation::CheckLabels(resource.labels));
}

}  // namespace

std::vector<Diagnostic> ValidateResource(const Resource& resource) {
  FieldErrors errors;
  ValidateMetadata(resource, errors);
  if (resource.kind->validate != nullptr && resource.spec != nullptr) {
    resource.kind->validate(resource, errors);
  }
  std::vector<Diagnostic> diagnostics;
  for (const FieldErrors::Issue& issue : errors.issues()) {
    Diagnostic d;
    d.level = issue.level;
    d.position = resource.PositionOf(issue.field);
    d.resource = resource.DisplayName();
    d.field = issue.field;
    d.message = issue.message;
    diagnostics.push_back(std::move(d));
  }
  return diagnostics;
}

}  // namespace keel::mesh
