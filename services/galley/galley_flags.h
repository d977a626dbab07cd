// Galley's flags, declared once for the galley binary and for keel, which
// hosts Galley too. Addresses stay with each binary.
#ifndef KEEL_SERVICES_GALLEY_GALLEY_FLAGS_H_
#define KEEL_SERVICES_GALLEY_GALLEY_FLAGS_H_

#include "services/galley/galley_service.h"

namespace keel::galley {

// GalleyOptionsFromFlags reads every Galley flag (mcp_authorize aside).
GalleyOptions GalleyOptionsFromFlags();

}  // namespace keel::galley

#endif  // KEEL_SERVICES_GALLEY_GALLEY_FLAGS_H_
