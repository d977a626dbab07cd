#include "libs/mesh/testing/shared_testdata.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace keel::mesh::testing {

std::string IstioTestdataDir() {
  std::vector<std::string> candidates;
  if (const char* shared = std::getenv("KEEL_SHARED_DIR"); shared != nullptr && *shared != 0) {
    candidates.push_back(std::string(shared) + "/testdata/istio");
  }
  candidates.push_back("/work/shared/testdata/istio");
  for (const std::string& candidate : candidates) {
    if (std::filesystem::is_directory(candidate)) return candidate;
  }
  ADD_FAILURE() << "shared Istio test data not found; set KEEL_SHARED_DIR (scripts/test.sh does)";
  return "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> YamlFilesUnder(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, error)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace keel::mesh::testing
