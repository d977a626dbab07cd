// Which params of an Istio 1.4 Mixer instance are attribute expressions,
// by template: shared by Mixer (which compiles them) and by Galley and
// keelctl (which type-check them before Mixer sees them).
#ifndef KEEL_LIBS_MIXER_TEMPLATE_FIELDS_H_
#define KEEL_LIBS_MIXER_TEMPLATE_FIELDS_H_

#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/struct.pb.h"

namespace keel::mixer {

// ExpressionFields lists (field, expression text): `value` (listentry,
// metric); each of `dimensions` (metric, quota) as "dimensions.<name>";
// `severity`, `timestamp` and each of `variables` (logentry) as
// "variables.<name>".
std::vector<std::pair<std::string, std::string>> ExpressionFields(
    const std::string& template_name, const google::protobuf::Struct& params);

}  // namespace keel::mixer

#endif  // KEEL_LIBS_MIXER_TEMPLATE_FIELDS_H_
