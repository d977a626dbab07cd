// Mixer answers policy checks and takes telemetry reports (Istio 1.4's
// Mixer API). Its config (attribute manifests, handlers, instances, rules)
// comes from Galley. Mixer always compiles everything Galley last sent, of
// every kind together; when that does not compile the update is refused
// (NACKed) and the last policy that compiled keeps answering. Until one
// has, Check and Report answer UNAVAILABLE.
#ifndef KEEL_SERVICES_MIXER_MIXER_SERVICE_H_
#define KEEL_SERVICES_MIXER_MIXER_SERVICE_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "grpcpp/security/credentials.h"
#include "libs/common/service_host.h"
#include "libs/mixer/global_dictionary.h"
#include "libs/xds/ads_client.h"
#include "libs/mesh/config_intake.h"
#include "libs/xds/config_feed.h"
#include "services/mixer/mixer_server.h"
#include "services/mixer/policy.h"

namespace keel::mixer {

struct MixerOptions {
  // Galley's MCP-over-xDS address, and how to call it (null: plaintext).
  std::string galley_address;
  std::shared_ptr<grpc::ChannelCredentials> galley_credentials;
  // The global word list (mixer/v1/global_dictionary.yaml) clients
  // compress with: Istio 1.4's unless another is loaded.
  std::shared_ptr<const GlobalDictionary> global_dictionary = GlobalDictionary::Istio14();
  // Rules here apply to every request; rules elsewhere to their namespace's.
  std::string config_namespace = "istio-system";
  // What Mixer takes from one caller (see mixer_server.h).
  RequestLimits request_limits;
  // When set, config comes through this feed (Galley in the same process)
  // instead of MCP from galley_address.
  xds::ConfigFeedFactory config_feed;
};

class MixerService : public Service {
 public:
  explicit MixerService(MixerOptions options);
  ~MixerService() override;

  std::string name() const override { return "mixer"; }
  void RegisterGrpcServices(grpc::ServerBuilder& builder, MetricsRegistry& metrics) override;
  absl::Status Start(ServiceContext& context) override;
  void Stop() override;

  std::shared_ptr<const Policy> policy() const;

 private:
  class AdapterMetrics;
  absl::Status OnConfig(const xds::ResourceUpdate& update);

  MixerOptions options_;
  std::unique_ptr<MixerServer> server_;
  Readiness* readiness_ = nullptr;
  mutable absl::Mutex mu_;
  // The last policy that compiled; null until Mixer holds every kind and
  // they compile together.
  std::shared_ptr<const Policy> policy_ ABSL_GUARDED_BY(mu_);
  // Everything Galley last sent, whether it compiled or not.
  mesh::ConfigIntake received_{mesh::kMixer};
  std::unique_ptr<xds::ConfigFeed> galley_;
};

}  // namespace keel::mixer

#endif  // KEEL_SERVICES_MIXER_MIXER_SERVICE_H_
