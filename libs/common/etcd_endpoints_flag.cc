// --etcd_endpoints: Galley's config and Citadel's CA.
#include "absl/flags/flag.h"
#include "libs/common/shared_flags.h"

ABSL_FLAG(std::vector<std::string>, etcd_endpoints, {},
          "Comma-separated host:port of etcd members: Galley keeps config there, shared by every "
          "replica (with --config_dir, it writes its folders' config there), and Citadel "
          "replicas share one self-signed CA there (rotate-root then changes etcd's CA).");
