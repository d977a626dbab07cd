#include "services/agent/agent_service.h"

namespace keel::agent {

absl::Status AgentService::Start(ServiceContext& context) {
  context.readiness.SetReady();
  return absl::OkStatus();
}

}  // namespace keel::agent
