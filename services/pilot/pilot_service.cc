#include "services/pilot/pilot_service.h"

namespace keel::pilot {

absl::Status PilotService::Start(ServiceContext& context) {
  context.readiness.SetReady();
  return absl::OkStatus();
}

}  // namespace keel::pilot
