// Pilot turns Istio traffic management and the service registry into xDS for the data plane.
//
// The walking skeleton: the service starts, serves gRPC health and
// reflection, reports ready and exports process metrics. Its real
// capabilities slot in behind this class.
#ifndef KEEL_SERVICES_PILOT_PILOT_SERVICE_H_
#define KEEL_SERVICES_PILOT_PILOT_SERVICE_H_

#include <string>
#include <utility>
#include <vector>

#include "libs/common/service_host.h"

namespace keel::pilot {

struct PilotOptions {
  // Galley's MCP-over-xDS address.
  std::string galley_address;
};

class PilotService : public Service {
 public:
  explicit PilotService(PilotOptions options) : options_(std::move(options)) {}

  std::string name() const override { return "pilot"; }
  absl::Status Start(ServiceContext& context) override;

 private:
  PilotOptions options_;
};

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_PILOT_SERVICE_H_
