#include "services/galley/sources/source.h"

#include <algorithm>
#include <set>

#include "libs/mesh/admission.h"

namespace keel::galley {

void CheckAcrossKeepingLastGood(const mesh::ConfigStore& store,
                                std::vector<std::shared_ptr<const mesh::Resource>>& all,
                                LoadReport& report, std::map<std::string, std::string>& origins) {
  std::vector<const mesh::Resource*> checked;
  for (const auto& resource : all) checked.push_back(resource.get());
  std::vector<mesh::Diagnostic> refused = mesh::CheckAcross(checked);
  if (refused.empty()) return;
  std::set<std::string> names;
  for (mesh::Diagnostic& d : refused) {
    names.insert(d.resource);
    ++report.errors_by_kind[d.resource.substr(0, d.resource.find(' '))];
    report.errors.push_back(std::move(d));
  }
  const std::shared_ptr<const mesh::ConfigSnapshot> published = store.Current();
  std::vector<std::shared_ptr<const mesh::Resource>> kept;
  for (std::shared_ptr<const mesh::Resource>& resource : all) {
    if (names.count(resource->DisplayName()) == 0) {
      kept.push_back(std::move(resource));
      continue;
    }
    std::shared_ptr<const mesh::Resource> previous =
        published == nullptr ? nullptr
                             : published->Find(resource->kind->type_url(), resource->namespace_name,
                                               resource->name);
    if (previous != nullptr) {
      if (std::find(report.stale.begin(), report.stale.end(), previous->Key()) == report.stale.end()) {
        report.stale.push_back(previous->Key());
      }
      kept.push_back(std::move(previous));
    } else {
      origins.erase(resource->Key());
    }
  }
  all = std::move(kept);
}

}  // namespace keel::galley
