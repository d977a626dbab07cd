// keelctl describe's text form of Pilot's answers (/debug/describe), apart
// from the command so that golden tests can check it.
#ifndef KEEL_SERVICES_KEELCTL_COMMANDS_DESCRIBE_H_
#define KEEL_SERVICES_KEELCTL_COMMANDS_DESCRIBE_H_

#include <string>

#include "absl/status/statusor.h"

namespace keel::keelctl {

// FormatServiceDescription renders Pilot's JSON description of a service as
// the text keelctl prints; InvalidArgument if `json` is not one.
absl::StatusOr<std::string> FormatServiceDescription(const std::string& json);

// FormatWorkloadDescription likewise for a workload.
absl::StatusOr<std::string> FormatWorkloadDescription(const std::string& json);

}  // namespace keel::keelctl

#endif  // KEEL_SERVICES_KEELCTL_COMMANDS_DESCRIBE_H_
