// Citadel's flags, declared once for the citadel binary and for keel, which
// hosts Citadel too. Addresses stay with each binary.
#ifndef KEEL_SERVICES_CITADEL_CITADEL_FLAGS_H_
#define KEEL_SERVICES_CITADEL_CITADEL_FLAGS_H_

#include "absl/time/time.h"
#include "services/citadel/citadel_service.h"

namespace keel::citadel {

// CitadelOptionsFromFlags reads every Citadel flag of the service.
CitadelOptions CitadelOptionsFromFlags();

// The subcommands': issue-token's --token_ttl, rotate-root's --rotation_overlap.
absl::Duration TokenTtlFromFlags();
absl::Duration RotationOverlapFromFlags();

}  // namespace keel::citadel

#endif  // KEEL_SERVICES_CITADEL_CITADEL_FLAGS_H_
