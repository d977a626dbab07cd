// Pilot: Istio traffic management served as xDS v3.
//
// The orchestration: config arrives from Galley over MCP-over-xDS
// (mesh::ConfigIntake; the last config keeps serving while Galley is away).
// Each change is debounced; the PushContext is rebuilt once; the generator
// table's rows the change touches are regenerated (PilotSource scopes them
// per Sidecar); only the types whose resources changed are pushed, and each
// client receives only the resources it asked for (delta clients: only
// those that changed). The debug pages (debug/) read this state.
#ifndef KEEL_SERVICES_PILOT_PILOT_SERVICE_H_
#define KEEL_SERVICES_PILOT_PILOT_SERVICE_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/debounce.h"
#include "libs/common/file_watch.h"
#include "grpcpp/security/credentials.h"
#include "libs/common/service_host.h"
#include "libs/mesh/config_intake.h"
#include "libs/mesh/mesh_config.h"
#include "libs/mesh/resource.h"
#include "libs/xds/ads_client.h"
#include "libs/xds/ads_server.h"
#include "libs/xds/config_feed.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "services/pilot/debug/debug_pages.h"
#include "services/pilot/generators/table.h"
#include "services/pilot/push/push_context.h"
#include "services/pilot/serve/pilot_source.h"

namespace keel::pilot {

struct PilotOptions {
  std::string galley_address;
  absl::Duration debounce_after = absl::Milliseconds(100);
  absl::Duration debounce_max = absl::Seconds(10);
  std::string cluster_domain = "cluster.local";
  // Istio's MeshConfig YAML; "" for Istio's defaults. Reloaded on change.
  std::string mesh_config_path;
  // The largest config message accepted from Galley (one type's resources).
  int galley_max_message_bytes = 64 << 20;
  // What xDS clients may make Pilot hold (see AdsServerOptions).
  size_t xds_max_streams = 20000;
  double xds_new_streams_per_second = 2000;
  size_t xds_max_names_per_type = 5000;
  // How Pilot calls Galley (mTLS from --tls_cert_dir); null: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> galley_credentials;
  // When set, config comes through this feed (Galley in the same process)
  // instead of MCP from galley_address.
  xds::ConfigFeedFactory config_feed;
  // Where the console's Config page finds a resource's versions (keelctl
  // history's answer). Unset: Galley's config API at galley_address.
  ConfigHistory config_history;
  // host:port of a Prometheus scraping Mixer (Mixer in another process):
  // /debug/rates, and the console's traffic graph, read request rates there.
  std::string prometheus_address;
  // host:port of Citadel's monitoring server (Citadel in another process):
  // Pilot relays its /debug/certz as /debug/citadel/certz for the console's
  // Certificates page. Citadel answers it to loopback only unless run with
  // --debug_remote.
  std::string citadel_debug_address;
};

class PilotService : public Service {
 public:
  explicit PilotService(PilotOptions options);
  ~PilotService() override;

  std::string name() const override { return "pilot"; }
  void RegisterGrpcServices(grpc::ServerBuilder& builder, MetricsRegistry& metrics) override;
  absl::Status Start(ServiceContext& context) override;
  void Stop() override;

 private:
  absl::Status OnConfig(const xds::ResourceUpdate& update);
  // A config stream that failed (not a Galley restart) makes Pilot not
  // ready until every type has arrived again.
  void OnConfigStreamEnd(const grpc::Status& status);
  void Push(int merged_events);
  void ReloadMeshConfig();
  mesh::MeshConfig mesh() const;
  PushOptions push_options() const;

  PilotOptions options_;
  mutable PilotSource source_;
  std::unique_ptr<xds::AdsServer> ads_server_;
  std::unique_ptr<xds::ConfigFeed> galley_;
  std::unique_ptr<keel::Debouncer> debouncer_;
  ServiceContext* context_ = nullptr;
  absl::Mutex stream_mu_;
  bool config_stream_broken_ ABSL_GUARDED_BY(stream_mu_) = false;
  std::set<std::string> types_since_break_ ABSL_GUARDED_BY(stream_mu_);

  // Every kind (the console and keelctl diff show and check all config);
  // complete once every kind Pilot consumes has arrived.
  mesh::ConfigIntake config_{mesh::kPilot, mesh::ConfigIntake::kEveryKind};
  FileWatcher mesh_watcher_;
  mutable absl::Mutex mesh_mu_;
  mesh::MeshConfig mesh_ ABSL_GUARDED_BY(mesh_mu_);
  absl::Mutex push_mu_;  // one push at a time

  prometheus::Family<prometheus::Counter>* pushes_ = nullptr;
  prometheus::Family<prometheus::Counter>* generations_ = nullptr;
  // Each generator row's last part and cache (guarded by push_mu_), reused
  // when a change does not touch the row.
  struct PartState {
    std::shared_ptr<const xds::TypeResources> resources;
    PartCache cache;
  };
  std::map<const GeneratorRow*, PartState> parts_;
  // Each type's parts merged, as last pushed (guarded by push_mu_).
  std::map<std::string, std::shared_ptr<const xds::TypeResources>> types_;
  std::atomic<bool> full_push_requested_{false};
  prometheus::Histogram* push_time_ = nullptr;
  prometheus::Gauge* services_gauge_ = nullptr;
  prometheus::Gauge* virtual_services_gauge_ = nullptr;
  prometheus::Counter* rejects_ = nullptr;
  prometheus::Counter* mesh_config_errors_ = nullptr;
  prometheus::Histogram* convergence_ = nullptr;
};

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_PILOT_SERVICE_H_
