#include "libs/mesh/admission.h"

#include <set>

#include "libs/mesh/mixer_config.h"
#include "libs/mesh/validation/validate.h"

namespace keel::mesh {

CheckedFile CheckFile(const ConfigText& file) {
  ParsedFile parsed = ParseConfigFile(file.name, file.content);
  CheckedFile checked{.name = file.name,
                      .resources = std::move(parsed.resources),
                      .kube_objects = std::move(parsed.kube_objects),
                      .diagnostics = std::move(parsed.diagnostics)};
  checked.valid.reserve(checked.resources.size());
  for (const Resource& resource : checked.resources) {
    std::vector<Diagnostic> problems = ValidateResource(resource);
    checked.valid.push_back(!HasErrors(problems));
    checked.diagnostics.insert(checked.diagnostics.end(), std::make_move_iterator(problems.begin()),
                               std::make_move_iterator(problems.end()));
  }
  return checked;
}

std::vector<Diagnostic> CheckAcross(const std::vector<const Resource*>& resources) {
  return TypeCheckMixerConfig(resources);
}

std::vector<CheckedFile> AdmitFiles(const std::vector<ConfigText>& files,
                                    const std::vector<const Resource*>& in_force) {
  std::vector<CheckedFile> checked;
  checked.reserve(files.size());
  for (const ConfigText& file : files) checked.push_back(CheckFile(file));
  // Only Mixer's config is checked across resources: without any in the
  // files, there is nothing to check (and nothing in force is compiled).
  bool mixer_config = false;
  for (const CheckedFile& file : checked) {
    for (const Resource& resource : file.resources) {
      mixer_config |= resource.Is(kinds::Rule) || resource.Is(kinds::Instance) ||
                      resource.Is(kinds::AttributeManifest);
    }
  }
  if (!mixer_config) return checked;
  // The files' resources replace those in force with the same key.
  std::set<std::string> keys;
  std::vector<const Resource*> whole;
  for (const CheckedFile& file : checked) {
    for (size_t i = 0; i < file.resources.size(); ++i) {
      if (!file.valid[i]) continue;
      whole.push_back(&file.resources[i]);
      keys.insert(file.resources[i].Key());
    }
  }
  for (const Resource* resource : in_force) {
    if (keys.count(resource->Key()) == 0) whole.push_back(resource);
  }
  for (Diagnostic& d : CheckAcross(whole)) {
    for (size_t f = 0; f < checked.size(); ++f) {
      CheckedFile& file = checked[f];
      if (d.position.file != file.name) continue;
      for (size_t i = 0; i < file.resources.size(); ++i) {
        if (file.resources[i].DisplayName() == d.resource) file.valid[i] = false;
      }
      file.diagnostics.push_back(std::move(d));
      break;
    }
  }
  return checked;
}

bool AnyErrors(const std::vector<CheckedFile>& files) {
  for (const CheckedFile& file : files) {
    if (HasErrors(file.diagnostics)) return true;
  }
  return false;
}

}  // namespace keel::mesh
