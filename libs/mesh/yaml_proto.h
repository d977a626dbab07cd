// YAML -> protobuf message through the proto3 JSON mapping, with errors that
// name the field path and the line and column of the offending key.
//
// This is how Keel reads Istio's YAML directly: field names in lowerCamelCase
// (the JSON name) or as written in the .proto, enums by name, well-known types
// in their JSON forms (Duration also in Go's syntax, "1m30s", as Istio users
// write it), Struct/Value for free-form parts. Unknown fields, wrong types,
// out-of-range numbers and bad enum values are errors; all of them are
// collected, conversion never stops at the first.
#ifndef KEEL_LIBS_MESH_YAML_PROTO_H_
#define KEEL_LIBS_MESH_YAML_PROTO_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "google/protobuf/message.h"
#include "libs/mesh/yaml_tree.h"
#include "yaml-cpp/yaml.h"

namespace keel::mesh {

// FieldPositions maps field paths ("spec.http[0].route") to where their key
// (or list item) starts in the source, so later stages (validation,
// analysis) can point at the line of a field they complain about.
class FieldPositions {
 public:
  struct LineColumn {
    int line = 0;  // 1-based; 0 when unknown
    int column = 0;
  };

  // Record notes where `path` is; `mark` is a YAML::Mark or a yaml::Mark
  // (0-based; a null mark records nothing).
  template <typename Mark>
  void Record(const std::string& path, const Mark& mark) {
    if (mark.is_null()) return;
    positions_.emplace_back(path, LineColumn{mark.line + 1, mark.column + 1});
  }

  // Find returns the position of `path`, or of its nearest recorded ancestor
  // ("spec.http[0].route[1]" falls back to "spec.http[0]", then "spec"...).
  LineColumn Find(std::string_view path) const;

 private:
  // In the order recorded. Every field of every resource is recorded but
  // few are ever looked up (a diagnostic's position), so recording is the
  // cheap side: an append, no hashing.
  std::vector<std::pair<std::string, LineColumn>> positions_;
};

struct ConversionError {
  std::string path;  // e.g. "spec.http[0].route[1].weight"
  FieldPositions::LineColumn position;
  std::string message;  // e.g. "expected integer, got \"eighty\""
};

// YamlToProto fills `message` from `node`. `path` names `node` in errors and
// positions (e.g. "spec"). Errors are appended to `errors`; `positions` (may
// be null) records every field seen.
void YamlToProto(const YAML::Node& node, const std::string& path,
                 google::protobuf::Message& message, FieldPositions* positions,
                 std::vector<ConversionError>& errors);
// The same for a node of the libyaml reader (libs/mesh/yaml_tree.h), the
// one files go through.
void YamlToProto(const yaml::Node& node, const std::string& path,
                 google::protobuf::Message& message, FieldPositions* positions,
                 std::vector<ConversionError>& errors);

// ValidUtf8 reports whether `text` is well-formed UTF-8 (protobuf strings
// must be).
bool ValidUtf8(const std::string& text);

// DescribeYaml renders a node for an error message: a scalar quoted
// ("\"eighty\""), or "a map", "a list", "null".
std::string DescribeYaml(const YAML::Node& node);
std::string DescribeYaml(const yaml::Node& node);

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_YAML_PROTO_H_
