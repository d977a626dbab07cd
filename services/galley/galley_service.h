// Galley ingests Istio configuration, validates it and distributes it over MCP-over-xDS.
//
// The walking skeleton: the service starts, serves gRPC health and
// reflection, reports ready and exports process metrics. Its real
// capabilities slot in behind this class.
#ifndef KEEL_SERVICES_GALLEY_GALLEY_SERVICE_H_
#define KEEL_SERVICES_GALLEY_GALLEY_SERVICE_H_

#include <string>
#include <utility>
#include <vector>

#include "libs/common/service_host.h"

namespace keel::galley {

struct GalleyOptions {
  // Directories of Istio YAML to read, recursively.
  std::vector<std::string> config_dirs;
};

class GalleyService : public Service {
 public:
  explicit GalleyService(GalleyOptions options) : options_(std::move(options)) {}

  std::string name() const override { return "galley"; }
  absl::Status Start(ServiceContext& context) override;

 private:
  GalleyOptions options_;
};

}  // namespace keel::galley

#endif  // KEEL_SERVICES_GALLEY_GALLEY_SERVICE_H_
