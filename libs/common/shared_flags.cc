// --debounce_max: Galley's reloads and Pilot's pushes; --cluster_domain and
// --trust_domain: Galley's Kubernetes registry, Pilot's hosts, Citadel's
// identities. (--etcd_endpoints is
// in etcd_endpoints_flag.cc: only binaries that use it link it.)
#include "absl/flags/flag.h"
#include "libs/common/shared_flags.h"

ABSL_FLAG(absl::Duration, debounce_max, absl::Seconds(10),
          "Longest a change may wait while changes keep coming: for Galley's reload of its "
          "folders, and for Pilot's push (PILOT_DEBOUNCE_MAX).");
ABSL_FLAG(std::string, cluster_domain, "cluster.local",
          "Kubernetes cluster domain: short host names expand with it, and a Service is "
          "name.namespace.svc.<domain>.");
ABSL_FLAG(std::string, trust_domain, "cluster.local", "Trust domain of SPIFFE identities.");
