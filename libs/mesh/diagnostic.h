// Diagnostics: what Keel tells a user about their configuration.
//
// Every parse, validation and analysis problem is a Diagnostic that names the
// file, line and column, the resource (kind namespace/name) and the field:
//
//   reviews.yaml:14:7: VirtualService default/reviews: spec.http[0].route[1].weight:
//       expected integer, got "eighty"
#ifndef KEEL_LIBS_MESH_DIAGNOSTIC_H_
#define KEEL_LIBS_MESH_DIAGNOSTIC_H_

#include <string>
#include <vector>

namespace keel::mesh {

// Where something is in a source file; line and column are 1-based, 0 when
// unknown.
struct SourcePosition {
  std::string file;
  int line = 0;
  int column = 0;

  // ToString returns "file:line:col" (parts that are unknown are left out).
  std::string ToString() const;
};

enum class Level { kInfo, kWarning, kError };

// LevelName returns "Info", "Warning" or "Error", as istioctl prints them.
const char* LevelName(Level level);

struct Diagnostic {
  Level level = Level::kError;
  // An Istio analyzer message code such as "IST0101", or "" for parse and
  // validation errors.
  std::string code;
  SourcePosition position;
  // "VirtualService default/reviews", or "" when no resource could be named.
  std::string resource;
  // Field path inside the resource, e.g. "spec.http[0].route[1].weight".
  std::string field;
  std::string message;

  // ToString renders "file:line:col: Level [code] resource: field: message";
  // the level is named when there is a code, or for an uncoded warning.
  std::string ToString() const;
};

// HasErrors reports whether any diagnostic is an error.
bool HasErrors(const std::vector<Diagnostic>& diagnostics);

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_DIAGNOSTIC_H_
