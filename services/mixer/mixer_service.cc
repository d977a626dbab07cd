#include "services/mixer/mixer_service.h"

namespace keel::mixer {

absl::Status MixerService::Start(ServiceContext& context) {
  context.readiness.SetReady();
  return absl::OkStatus();
}

}  // namespace keel::mixer
