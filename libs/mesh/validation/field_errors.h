// FieldErrors collects what a validator finds, each problem with the field
// path it concerns, so that every problem is reported at once (as Istio's
// validators do) and each one points at its line.
#ifndef KEEL_LIBS_MESH_VALIDATION_FIELD_ERRORS_H_
#define KEEL_LIBS_MESH_VALIDATION_FIELD_ERRORS_H_

#include <string>
#include <vector>

#include "libs/mesh/diagnostic.h"

namespace keel::mesh {

struct Resource;

// The most regex text one resource may hold (every regex compiled by
// validation counts).
inline constexpr size_t kRegexBytesPerResource = 64 << 10;

class FieldErrors {
 public:
  struct Issue {
    Level level;
    std::string field;  // "spec.http[0].route[1].weight"
    std::string message;
  };

  void Error(std::string field, std::string message) {
    issues_.push_back({Level::kError, std::move(field), std::move(message)});
  }
  void Warning(std::string field, std::string message) {
    issues_.push_back({Level::kWarning, std::move(field), std::move(message)});
  }

  const std::vector<Issue>& issues() const { return issues_; }
  bool has_errors() const;

  // SpendRegexBytes takes `bytes` from the regex this resource may still
  // compile; false once the budget is overrun (and from then on). Compiling
  // is the costly part of validation: a resource (a webhook request) full of
  // regexes must not buy unbounded CPU and memory with its size.
  bool SpendRegexBytes(size_t bytes) {
    if (regex_budget_overrun_ || bytes > regex_bytes_left_) {
      regex_budget_overrun_ = true;
      return false;
    }
    regex_bytes_left_ -= bytes;
    return true;
  }
  bool regex_budget_overrun() const { return regex_budget_overrun_; }

 private:
  std::vector<Issue> issues_;
  size_t regex_bytes_left_ = kRegexBytesPerResource;
  bool regex_budget_overrun_ = false;
};

// Check adds `problem` as an error on `field` unless it is empty (the rules
// in rules.h return "" for a valid value).
inline void Check(FieldErrors& errors, const std::string& field, const std::string& problem) {
  if (!problem.empty()) errors.Error(field, problem);
}

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_VALIDATION_FIELD_ERRORS_H_
