// Hostile configuration for tests of every reader of untrusted YAML.
#ifndef KEEL_LIBS_MESH_TESTING_HOSTILE_YAML_H_
#define KEEL_LIBS_MESH_TESTING_HOSTILE_YAML_H_

#include <string>

namespace keel::mesh::testing {

// AliasBombYaml returns a VirtualService of under 700 bytes whose aliases
// name 9^9 (~387 million) nodes ("billion laughs"). A reader that expands
// aliases, or walks them without a budget, never finishes.
inline std::string AliasBombYaml() {
  std::string yaml =
      "apiVersion: networking.istio.io/v1alpha3\n"
      "kind: VirtualService\n"
      "metadata:\n"
      "  name: bomb\n"
      "spec:\n"
      "  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (char level = 'b'; level <= 'i'; ++level) {
    const char previous = static_cast<char>(level - 1);
    yaml += std::string("  ") + level + ": &" + level + " [";
    for (int i = 0; i < 9; ++i) yaml += std::string(i > 0 ? ", *" : "*") + previous;
    yaml += "]\n";
  }
  return yaml;
}

}  // namespace keel::mesh::testing

#endif  // KEEL_LIBS_MESH_TESTING_HOSTILE_YAML_H_
