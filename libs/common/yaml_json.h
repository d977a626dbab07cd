// YAML written as JSON, as Kubernetes reads YAML (1.1): for manifests and
// templates that Keel hands to something that speaks JSON (a JSON patch, a
// tool's input).
#ifndef KEEL_LIBS_COMMON_YAML_JSON_H_
#define KEEL_LIBS_COMMON_YAML_JSON_H_

#include <functional>
#include <string>

#include "libs/common/json_writer.h"
#include "yaml-cpp/yaml.h"

namespace keel {

// WriteYamlAsJson writes `node` into `json`. Quoted scalars stay strings;
// plain ones that read as integers (0400 and 0o400 are octal, a file mode),
// true/false or null become those. `rewrite`, when set, is applied to every
// string written (not to keys).
void WriteYamlAsJson(const YAML::Node& node, JsonWriter& json,
                     const std::function<std::string(const std::string&)>& rewrite = {});

// YamlToJson is WriteYamlAsJson into a string.
std::string YamlToJson(const YAML::Node& node);

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_YAML_JSON_H_
