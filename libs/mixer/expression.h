// Istio's attribute expressions (Mixer's "IL"): Go expression syntax over
// attributes, statically typed against the attribute manifest, compiled once
// and evaluated per request.
//
//   destination.labels["app"] == "ratings" && source.user == "cluster.local/ns/x/sa/y"
//   (request.headers["x-user"] | "") == "john"
//   conditional((context.reporter.kind | "inbound") == "outbound", "client", "server")
//
// Operators: == != && || ! and `|` (the left side, or the right when the
// left names an absent attribute or map key); map indexing; string, integer,
// float and bool literals. Functions: match(s, glob), "re".matches(s),
// s.startsWith(p), s.endsWith(p), ip(s), timestamp(s), email(s), dnsName(s),
// uri(s), conditional(b, x, y), toLower(s), emptyStringMap().
#ifndef KEEL_LIBS_MIXER_EXPRESSION_H_
#define KEEL_LIBS_MIXER_EXPRESSION_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/mixer/attributes.h"
#include "proto/istio/policy/v1beta1/value_type.pb.h"

namespace keel::mixer {

using ValueType = istio::policy::v1beta1::ValueType;
// The attribute manifest: each attribute's type.
using AttributeTypes = absl::flat_hash_map<std::string, ValueType>;

// What a compiled expression may be: longer or deeper ones are refused.
struct ExpressionLimits {
  size_t max_length = 4096;
  int max_depth = 32;
  size_t max_regex_length = 1024;
};

class Expression {
 public:
  // Compile parses and type-checks `text`; InvalidArgument names the
  // problem and where (a column) it is.
  static absl::StatusOr<Expression> Compile(absl::string_view text, const AttributeTypes& types,
                                            const ExpressionLimits& limits = {});

  ValueType type() const;
  // Evaluate computes the value for `bag`. NotFound when it needs an absent
  // attribute or map key (and no `|` gave another value).
  absl::StatusOr<AttributeValue> Evaluate(const AttributeBag& bag) const;

  // Every attribute (or map key) evaluation may read, whichever branch it
  // takes: what a cached answer depends on.
  const std::vector<AttributeReference>& references() const { return *references_; }

  struct Node;

 private:
  Expression(std::shared_ptr<const Node> root,
             std::shared_ptr<const std::vector<AttributeReference>> references)
      : root_(std::move(root)), references_(std::move(references)) {}
  std::shared_ptr<const Node> root_;
  std::shared_ptr<const std::vector<AttributeReference>> references_;
};

// ValueTypeName is the manifest's name of a type ("STRING_MAP").
std::string ValueTypeName(ValueType type);

}  // namespace keel::mixer

#endif  // KEEL_LIBS_MIXER_EXPRESSION_H_
