// JsonSpans: the members of a JSON object, or the elements of an array, as
// slices of the text, without decoding them. Galley hands each Istio object
// of a list or watch event to admission as the API server wrote it (JSON is
// YAML), so a string stays a string ("1.0" is not read as a number) and the
// object is not re-encoded.
#ifndef KEEL_LIBS_KUBE_JSON_SPANS_H_
#define KEEL_LIBS_KUBE_JSON_SPANS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace keel::kube {

// JsonMembers returns each member of the object `text` by its (raw) name.
// InvalidArgument, with the offset, when `text` is not one JSON object.
absl::StatusOr<std::map<std::string, std::string_view>> JsonMembers(std::string_view text);

// JsonElements returns each element of the array `text`.
absl::StatusOr<std::vector<std::string_view>> JsonElements(std::string_view text);

}  // namespace keel::kube

#endif  // KEEL_LIBS_KUBE_JSON_SPANS_H_
