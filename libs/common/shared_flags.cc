// --debounce_max: Galley's reloads and Pilot's pushes. (--etcd_endpoints is
// in etcd_endpoints_flag.cc: only binaries that use it link it.)
#include "absl/flags/flag.h"
#include "libs/common/shared_flags.h"

ABSL_FLAG(absl::Duration, debounce_max, absl::Seconds(10),
          "Longest a change may wait while changes keep coming: for Galley's reload of its "
          "folders, and for Pilot's push (PILOT_DEBOUNCE_MAX).");
