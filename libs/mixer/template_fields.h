// Which params of an Istio 1.4 Mixer instance are attribute expressions,
// by template, and of which type: shared by Mixer (which compiles them) and
// by Galley and keelctl (which type-check them before Mixer sees them).
#ifndef KEEL_LIBS_MIXER_TEMPLATE_FIELDS_H_
#define KEEL_LIBS_MIXER_TEMPLATE_FIELDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"
#include "libs/mixer/expression.h"
#include "proto/istio/policy/v1beta1/value_type.pb.h"

namespace keel::mixer {

// A param that is an expression, and the type its template requires of it
// (VALUE_TYPE_UNSPECIFIED: any).
struct ExpressionField {
  std::string field;
  std::string text;
  istio::policy::v1beta1::ValueType type = istio::policy::v1beta1::VALUE_TYPE_UNSPECIFIED;
};

// ExpressionFields lists the expression params: `value` (listentry,
// metric); each of `dimensions` (metric, quota) as "dimensions.<name>";
// `severity`, `timestamp` and each of `variables` (logentry) as
// "variables.<name>"; `subject.*` and `action.*` (authorization), their
// `properties` as "subject.properties.<key>".
std::vector<ExpressionField> ExpressionFields(const std::string& template_name,
                                             const google::protobuf::Struct& params);

// CompileField compiles `field` against `types` and checks the type its
// template requires; InvalidArgument says which.
absl::StatusOr<Expression> CompileField(const ExpressionField& field, const AttributeTypes& types);

}  // namespace keel::mixer

#endif  // KEEL_LIBS_MIXER_TEMPLATE_FIELDS_H_
