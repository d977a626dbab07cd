#include "libs/mesh/diagnostic.h"

#include "absl/strings/str_cat.h"

namespace keel::mesh {

std::string SourcePosition::ToString() const {
  if (file.empty()) return "";
  if (line <= 0) return file;
  if (column <= 0) return absl::StrCat(file, ":", line);
  return absl::StrCat(file, ":", line, ":", column);
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kInfo:
      return "Info";
    case Level::kWarning:
      return "Warning";
    case Level::kError:
      return "Error";
  }
  return "Error";
}

std::string Diagnostic::ToString() const {
  std::string out;
  if (std::string where = position.ToString(); !where.empty()) absl::StrAppend(&out, where, ": ");
  if (!code.empty()) {
    absl::StrAppend(&out, LevelName(level), " [", code, "] ");
  } else if (level == Level::kWarning) {
    absl::StrAppend(&out, LevelName(level), " ");  // an uncoded warning still says so
  }
  if (!resource.empty()) absl::StrAppend(&out, resource, ": ");
  if (!field.empty()) absl::StrAppend(&out, field, ": ");
  absl::StrAppend(&out, message);
  return out;
}

bool HasErrors(const std::vector<Diagnostic>& diagnostics) {
  for (const Diagnostic& d : diagnostics) {
    if (d.level == Level::kError) return true;
  }
  return false;
}

}  // namespace keel::mesh
