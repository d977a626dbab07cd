// Pilot's flags, declared once for the pilot binary and for keel, which
// hosts Pilot too. Addresses stay with each binary.
#ifndef KEEL_SERVICES_PILOT_PILOT_FLAGS_H_
#define KEEL_SERVICES_PILOT_PILOT_FLAGS_H_

#include <string>

#include "services/pilot/pilot_service.h"

namespace keel::pilot {

// PilotOptionsFromFlags reads every Pilot flag; where Galley is, how to
// call it and the config feed are the caller's.
PilotOptions PilotOptionsFromFlags();

// --insecure_xds_address: where Pilot also serves xDS in plaintext ("": nowhere).
std::string InsecureXdsAddressFromFlags();

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_PILOT_FLAGS_H_
