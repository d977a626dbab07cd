// Every resource of a supported kind in Istio's own configuration files
// loads and validates clean.
#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/mesh/analysis.h"
#include "libs/mesh/resource.h"
#include "libs/mesh/testing/shared_testdata.h"
#include "libs/mesh/validation/validate.h"

namespace keel::mesh {
namespace {

TEST(IstioTestdataTest, EverySupportedResourceLoadsAndValidatesClean) {
  const std::string root = testing::IstioTestdataDir();
  ASSERT_FALSE(root.empty());
  std::vector<std::string> files = testing::YamlFilesUnder(root);
  ASSERT_GT(files.size(), 20u);
  size_t loaded = 0;
  std::map<std::string, int> skipped;
  for (const std::string& file : files) {
    // The Mixer word list is not configuration: Istio's generators read it
    // line by line, not as Kubernetes objects.
    if (std::filesystem::path(file).filename() == "global_dictionary.yaml") continue;
    ParsedFile parsed = ParseConfigFile(file, testing::ReadFile(file));
    for (const Diagnostic& d : parsed.diagnostics) {
      if (d.level == Level::kInfo) {
        ++skipped[d.resource.substr(0, d.resource.find(' '))];
        continue;
      }
      ADD_FAILURE() << d.ToString();
    }
    for (const Resource& resource : parsed.resources) {
      ++loaded;
      for (const Diagnostic& d : ValidateResource(resource)) {
        EXPECT_NE(d.level, Level::kError) << d.ToString();
      }
    }
  }
  // bookinfo (38 networking resources) + Mixer policy and telemetry.
  EXPECT_GE(loaded, 50u);
  // Every kind is known, QuotaSpec/QuotaSpecBinding included: nothing skipped.
  EXPECT_THAT(skipped, ::testing::IsEmpty());
}

// `analyze` over bookinfo's networking files: the only errors allowed are
// references to services the files do not define (Keel's registry is
// ServiceEntries; bookinfo's services are Kubernetes Services).
TEST(IstioTestdataTest, AnalyzeGivesNoFalseErrors) {
  const std::string root = testing::IstioTestdataDir() + "/bookinfo-networking";
  std::vector<ParsedFile> parsed;
  for (const std::string& file : testing::YamlFilesUnder(root)) {
    parsed.push_back(ParseConfigFile(file, testing::ReadFile(file)));
  }
  std::vector<const Resource*> resources;
  for (const ParsedFile& file : parsed) {
    for (const Resource& r : file.resources) resources.push_back(&r);
  }
  ASSERT_GE(resources.size(), 38u);
  int host_not_found = 0;
  for (const Diagnostic& d : Analyze(resources)) {
    if (d.level != Level::kError) continue;
    if (d.code == "IST0101" && d.message.rfind("Referenced host not found", 0) == 0) {
      ++host_not_found;
      continue;
    }
    ADD_FAILURE() << "false error: " << d.ToString();
  }
  EXPECT_GT(host_not_found, 0);  // productpage, reviews, ratings, details are Kubernetes Services
}

}  // namespace
}  // namespace keel::mesh
