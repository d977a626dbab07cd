// Status propagation macros. Debian's Abseil 20220623 ships none.
//
//   KEEL_RETURN_IF_ERROR(DoThing());
//   KEEL_ASSIGN_OR_RETURN(auto value, ComputeValue());
#ifndef KEEL_LIBS_COMMON_STATUS_MACROS_H_
#define KEEL_LIBS_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define KEEL_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::absl::Status keel_status_ = (expr);        \
    if (!keel_status_.ok()) return keel_status_; \
  } while (false)

#define KEEL_STATUS_CONCAT_INNER_(a, b) a##b
#define KEEL_STATUS_CONCAT_(a, b) KEEL_STATUS_CONCAT_INNER_(a, b)

#define KEEL_ASSIGN_OR_RETURN(lhs, rexpr) \
  KEEL_ASSIGN_OR_RETURN_IMPL_(KEEL_STATUS_CONCAT_(keel_statusor_, __LINE__), lhs, rexpr)

#define KEEL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)  \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // KEEL_LIBS_COMMON_STATUS_MACROS_H_
