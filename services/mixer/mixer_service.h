// Mixer answers policy checks and turns telemetry reports into metrics.
//
// The walking skeleton: the service starts, serves gRPC health and
// reflection, reports ready and exports process metrics. Its real
// capabilities slot in behind this class.
#ifndef KEEL_SERVICES_MIXER_MIXER_SERVICE_H_
#define KEEL_SERVICES_MIXER_MIXER_SERVICE_H_

#include <string>
#include <utility>
#include <vector>

#include "libs/common/service_host.h"

namespace keel::mixer {

struct MixerOptions {
  // Galley's MCP-over-xDS address.
  std::string galley_address;
};

class MixerService : public Service {
 public:
  explicit MixerService(MixerOptions options) : options_(std::move(options)) {}

  std::string name() const override { return "mixer"; }
  absl::Status Start(ServiceContext& context) override;

 private:
  MixerOptions options_;
};

}  // namespace keel::mixer

#endif  // KEEL_SERVICES_MIXER_MIXER_SERVICE_H_
