// Citadel is the certificate authority: it signs workload certificates with SPIFFE identities.
//
// The walking skeleton: the service starts, serves gRPC health and
// reflection, reports ready and exports process metrics. Its real
// capabilities slot in behind this class.
#ifndef KEEL_SERVICES_CITADEL_CITADEL_SERVICE_H_
#define KEEL_SERVICES_CITADEL_CITADEL_SERVICE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "libs/common/service_host.h"

namespace keel::citadel {

struct CitadelOptions {
  // Lifetime of issued workload certificates.
  absl::Duration workload_cert_ttl;
};

class CitadelService : public Service {
 public:
  explicit CitadelService(CitadelOptions options) : options_(std::move(options)) {}

  std::string name() const override { return "citadel"; }
  absl::Status Start(ServiceContext& context) override;

 private:
  CitadelOptions options_;
};

}  // namespace keel::citadel

#endif  // KEEL_SERVICES_CITADEL_CITADEL_SERVICE_H_
