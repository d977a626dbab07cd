// Finding the team's shared test data (real Istio configuration) from tests.
#ifndef KEEL_LIBS_MESH_TESTING_SHARED_TESTDATA_H_
#define KEEL_LIBS_MESH_TESTING_SHARED_TESTDATA_H_

#include <string>
#include <vector>

namespace keel::mesh::testing {

// IstioTestdataDir returns the absolute path of shared/testdata/istio, from
// $KEEL_SHARED_DIR (set by scripts/test.sh) or the folder beside the
// workspace. Fails the calling test when it cannot be found.
std::string IstioTestdataDir();

// ReadFile returns a file's contents ("" if unreadable).
std::string ReadFile(const std::string& path);

// YamlFilesUnder lists .yaml/.yml/.json files under `dir`, recursively, sorted.
std::vector<std::string> YamlFilesUnder(const std::string& dir);

}  // namespace keel::mesh::testing

#endif  // KEEL_LIBS_MESH_TESTING_SHARED_TESTDATA_H_
