// Fuzz target for the path every untrusted config byte takes: YAML -> typed
// resource -> validation -> analysis. Built with libFuzzer under
// --config=fuzz; otherwise linked with fuzz_driver.cc, which replays a corpus
// (so the corpus doubles as a regression test).
#include <cstddef>
#include <cstdint>
#include <string>

#include "libs/mesh/analysis.h"
#include "libs/mesh/resource.h"
#include "libs/mesh/validation/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  keel::mesh::ParsedFile parsed = keel::mesh::ParseConfigFile("fuzz.yaml", text);
  std::vector<const keel::mesh::Resource*> resources;
  for (const keel::mesh::Resource& resource : parsed.resources) {
    for (const keel::mesh::Diagnostic& d : keel::mesh::ValidateResource(resource)) {
      (void)d.ToString();
    }
    resources.push_back(&resource);
    (void)resource.ContentHash();
  }
  (void)keel::mesh::Analyze(resources);
  for (const keel::mesh::Diagnostic& d : parsed.diagnostics) (void)d.ToString();
  return 0;
}
