// keel-agent runs beside a workload: it obtains its certificates from Citadel and writes its xDS
// bootstrap.
//
// The walking skeleton: the service starts, serves gRPC health and
// reflection, reports ready and exports process metrics. Its real
// capabilities slot in behind this class.
#ifndef KEEL_SERVICES_AGENT_AGENT_SERVICE_H_
#define KEEL_SERVICES_AGENT_AGENT_SERVICE_H_

#include <string>
#include <utility>
#include <vector>

#include "libs/common/service_host.h"

namespace keel::agent {

struct AgentOptions {
  std::string citadel_address;
  std::string pilot_address;
};

class AgentService : public Service {
 public:
  explicit AgentService(AgentOptions options) : options_(std::move(options)) {}

  std::string name() const override { return "keel-agent"; }
  absl::Status Start(ServiceContext& context) override;

 private:
  AgentOptions options_;
};

}  // namespace keel::agent

#endif  // KEEL_SERVICES_AGENT_AGENT_SERVICE_H_
