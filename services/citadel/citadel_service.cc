#include "services/citadel/citadel_service.h"

namespace keel::citadel {

absl::Status CitadelService::Start(ServiceContext& context) {
  context.readiness.SetReady();
  return absl::OkStatus();
}

}  // namespace keel::citadel
