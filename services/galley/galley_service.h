// Galley: reads Istio configuration from directories, validates it, and
// distributes the valid set over MCP-over-xDS; also Kubernetes' validating
// admission webhook.
#ifndef KEEL_SERVICES_GALLEY_GALLEY_SERVICE_H_
#define KEEL_SERVICES_GALLEY_GALLEY_SERVICE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/common/service_host.h"
#include "libs/mesh/config_store.h"
#include "libs/xds/ads_server.h"
#include "libs/xds/local_feed.h"
#include "libs/etcd/election.h"
#include "libs/mesh/etcd_config_store.h"
#include "services/galley/config_api.h"
#include "services/galley/mcp_source.h"
#include "services/galley/injection.h"
#include "services/galley/kube/source.h"
#include "services/galley/kube/webhook_ca.h"
#include "services/galley/sources/file_source.h"

namespace keel::galley {

// Where config comes from: folders (and keelctl apply, on etcd), or a
// Kubernetes API server (Istio's CRDs and the cluster's services).
enum class ConfigSourceKind { kFiles, kKubernetes };

struct GalleyOptions {
  ConfigSourceKind source = ConfigSourceKind::kFiles;
  // Directories of Istio YAML to read, recursively.
  std::vector<std::string> config_dirs;
  // With kKubernetes: the kubeconfig (else $KUBECONFIG, else the pod's
  // service account) and its context (else its current one).
  std::string kubeconfig;
  std::string kube_context;
  // Galley fails to start when some type has not been listed by then: it
  // never serves a partial cluster.
  absl::Duration kube_sync_timeout = absl::Seconds(60);
  // A Service's host is name.namespace.svc.<cluster_domain>; its pods'
  // identities are spiffe://<trust_domain>/ns/<namespace>/sa/<account>.
  std::string cluster_domain = "cluster.local";
  std::string trust_domain = "cluster.local";
  absl::Duration debounce = absl::Milliseconds(100);
  absl::Duration debounce_max = absl::Seconds(10);
  // The admission webhook (HTTPS) listens here when set.
  std::string webhook_address;
  std::string webhook_cert_file;
  std::string webhook_key_file;
  // On Kubernetes: the ValidatingWebhookConfiguration whose caBundle Galley
  // keeps equal to `webhook_ca_file` (the CA of its certificate).
  std::string webhook_configuration;
  std::string webhook_ca_file;
  // Proxyless injection on the webhook's server (POST /inject) from this
  // template (see injection.h), and the MutatingWebhookConfiguration whose
  // caBundle Galley keeps too.
  std::string injection_template;
  std::string injection_configuration;
  // When set, config lives in this etcd cluster (host:port of its members):
  // Galley writes what its folders hold there (when it has folders) and
  // serves what etcd holds, as every replica does.
  std::vector<std::string> etcd_endpoints;
  // On etcd with folders: replicas reading the same folders elect one
  // writer; this is how long a dead writer keeps the role.
  absl::Duration folder_writer_lease = absl::Seconds(5);
  // Who may subscribe to MCP (see xds::AdsServerOptions::authorize); null:
  // anyone who reaches the port.
  std::function<grpc::Status(const grpc::CallbackServerContext&)> mcp_authorize;
};

class GalleyService : public Service {
 public:
  explicit GalleyService(GalleyOptions options);
  ~GalleyService() override;

  std::string name() const override { return "galley"; }
  void RegisterGrpcServices(grpc::ServerBuilder& builder, MetricsRegistry& metrics) override;
  absl::Status Start(ServiceContext& context) override;
  void Stop() override;

  uint16_t webhook_port() const;

  // local_feeds serves this Galley's config to consumers in the same
  // process (the one-process mode), as MCP serves it to remote ones. Feeds
  // must be stopped before this service is destroyed.
  xds::LocalFeeds& local_feeds() { return local_feeds_; }

  // ConfigHistory is keelctl history's answer for a caller in this process
  // (the one-process console): every version etcd still holds, newest first.
  absl::StatusOr<keel::galley::v1::HistoryResponse> ConfigHistory(
      const keel::galley::v1::ResourceRef& ref) const {
    if (config_api_ == nullptr) return absl::UnavailableError("Galley is not started");
    return config_api_->HistoryOf(ref);
  }

 private:
  void Publish(const mesh::ConfigSnapshot& snapshot, const mesh::ConfigChange& change);
  HttpResponse Configz() const;
  HttpResponse Mcpz() const;

  GalleyOptions options_;
  std::atomic<bool> started_{false};  // readiness follows etcd only once serving
  std::unique_ptr<mesh::ConfigStore> store_;
  std::atomic<mesh::EtcdConfigStore*> etcd_store_{nullptr};  // store_, when it is etcd's
  std::unique_ptr<ConfigApi> config_api_;
  McpSource mcp_source_;
  xds::LocalFeeds local_feeds_{&mcp_source_};
  std::unique_ptr<xds::AdsServer> ads_server_;
  std::unique_ptr<ConfigSource> source_;
  std::unique_ptr<mesh::ConfigStore::WatchHandle> watch_;
  std::unique_ptr<etcd::LeaderElection> folder_writer_;  // on etcd with folders
  std::unique_ptr<HttpServer> webhook_;
  std::unique_ptr<kube::WebhookCaKeeper> webhook_ca_keeper_;
  std::unique_ptr<Injector> injector_;
  prometheus::Family<prometheus::Gauge>* resources_gauge_ = nullptr;
  prometheus::Family<prometheus::Gauge>* errors_gauge_ = nullptr;
  prometheus::Gauge* snapshot_generation_ = nullptr;
  prometheus::Counter* reloads_ = nullptr;
  class EmptiedFolders;
};

}  // namespace keel::galley

#endif  // KEEL_SERVICES_GALLEY_GALLEY_SERVICE_H_
