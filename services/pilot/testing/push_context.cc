#include "services/pilot/testing/push_context.h"

#include <algorithm>
#include <cstdlib>

#include "libs/mesh/resource.h"
#include "libs/mesh/testing/shared_testdata.h"
#include "libs/mesh/validation/validate.h"

namespace keel::pilot::testing {
namespace {

void Load(const std::string& path, const std::string& text,
          std::vector<std::shared_ptr<const mesh::Resource>>& resources) {
  mesh::ParsedFile parsed = mesh::ParseConfigFile(path, text);
  EXPECT_TRUE(parsed.diagnostics.empty()) << path << ": " << parsed.diagnostics[0].ToString();
  for (mesh::Resource& r : parsed.resources) {
    for (const mesh::Diagnostic& d : mesh::ValidateResource(r)) {
      EXPECT_NE(d.level, mesh::Level::kError) << d.ToString();
    }
    resources.push_back(std::make_shared<mesh::Resource>(std::move(r)));
  }
}

std::vector<std::shared_ptr<const mesh::Resource>> Registry() {
  std::vector<std::shared_ptr<const mesh::Resource>> resources;
  const std::string path = std::string(std::getenv("TEST_SRCDIR")) +
                           "/keel/services/pilot/testdata/bookinfo-services.yaml";
  Load(path, mesh::testing::ReadFile(path), resources);
  return resources;
}

}  // namespace

std::shared_ptr<const PushContext> BookinfoContext(const std::vector<std::string>& shared_files) {
  std::vector<std::shared_ptr<const mesh::Resource>> resources = Registry();
  for (const std::string& file : shared_files) {
    const std::string path = mesh::testing::IstioTestdataDir() + "/bookinfo-networking/" + file;
    Load(path, mesh::testing::ReadFile(path), resources);
  }
  return PushContext::Build(resources, 1);
}

std::vector<std::shared_ptr<const mesh::Resource>> BookinfoResourcesWith(const std::string& yaml) {
  std::vector<std::shared_ptr<const mesh::Resource>> resources = Registry();
  Load("inline.yaml", yaml, resources);
  // The store hands resources over sorted by kind, namespace and name.
  std::sort(resources.begin(), resources.end(),
            [](const auto& a, const auto& b) { return a->Key() < b->Key(); });
  return resources;
}

std::shared_ptr<const PushContext> BookinfoContextWith(const std::string& yaml,
                                                       const PushOptions& options) {
  return PushContext::Build(BookinfoResourcesWith(yaml), 1, options);
}

}  // namespace keel::pilot::testing
