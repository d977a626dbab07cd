// Flags that mean the same in several services, declared once so that a
// binary hosting several of them (keel) has each once: --debounce_max
// (Galley's reloads and Pilot's pushes), --etcd_endpoints (Galley's
// config and Citadel's CA), --cluster_domain and --trust_domain (Galley's
// Kubernetes registry, Pilot's hosts, Citadel's identities).
#ifndef KEEL_LIBS_COMMON_SHARED_FLAGS_H_
#define KEEL_LIBS_COMMON_SHARED_FLAGS_H_

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(absl::Duration, debounce_max);
ABSL_DECLARE_FLAG(std::vector<std::string>, etcd_endpoints);
ABSL_DECLARE_FLAG(std::string, cluster_domain);
ABSL_DECLARE_FLAG(std::string, trust_domain);

#endif  // KEEL_LIBS_COMMON_SHARED_FLAGS_H_
