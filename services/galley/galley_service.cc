#include "services/galley/galley_service.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "libs/etcd/client.h"
#include "libs/mesh/etcd_config_store.h"
#include "libs/common/json_writer.h"
#include "libs/common/stable_hash.h"
#include "libs/xds/status_json.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "services/galley/webhook.h"
#include "spdlog/spdlog.h"

namespace keel::galley {

GalleyService::GalleyService(GalleyOptions options) : options_(std::move(options)) {}

GalleyService::~GalleyService() { Stop(); }

void GalleyService::RegisterGrpcServices(grpc::ServerBuilder& builder, MetricsRegistry& metrics) {
  ads_server_ = std::make_unique<xds::AdsServer>(
      &mcp_source_, &metrics,
      xds::AdsServerOptions{.metrics_prefix = "galley_mcp", .authorize = options_.mcp_authorize});
  builder.RegisterService(ads_server_.get());
  config_api_ = std::make_unique<ConfigApi>([this] { return etcd_store_.load(); });
  builder.RegisterService(config_api_.get());
}

// galley_config_dirs_emptied, from the file source's latest reload.
class GalleyService::EmptiedFolders : public prometheus::Collectable {
 public:
  explicit EmptiedFolders(const GalleyService* galley) : galley_(galley) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::ClientMetric count;
    count.gauge.value = galley_->source_ == nullptr
                            ? 0
                            : static_cast<double>(
                                  galley_->source_->LastReport().emptied_directories.size());
    return {prometheus::MetricFamily{
        .name = "galley_config_dirs_emptied",
        .help = "Configured folders found empty after holding config, whose last good config "
                "is served until files are back.",
        .type = prometheus::MetricType::Gauge,
        .metric = {count}}};
  }

 private:
  const GalleyService* galley_;
};

absl::Status GalleyService::Start(ServiceContext& context) {
  auto& registry = context.metrics.registry();
  resources_gauge_ = &prometheus::BuildGauge()
                          .Name("galley_resources")
                          .Help("Valid resources served, by kind.")
                          .Register(registry);
  errors_gauge_ = &prometheus::BuildGauge()
                       .Name("galley_validation_errors")
                       .Help("Validation errors in the current configuration files, by kind.")
                       .Register(registry);
  snapshot_generation_ = &prometheus::BuildGauge()
                              .Name("galley_snapshot_version")
                              .Help("Generation of the published configuration snapshot.")
                              .Register(registry)
                              .Add({});
  reloads_ = &prometheus::BuildCounter()
                  .Name("galley_reloads_total")
                  .Help("Reloads of the configuration directories.")
                  .Register(registry)
                  .Add({});

  if (options_.etcd_endpoints.empty()) {
    store_ = std::make_unique<mesh::MemoryConfigStore>();
  } else {
    absl::StatusOr<std::unique_ptr<etcd::EtcdClient>> client =
        etcd::EtcdClient::Connect({.endpoints = options_.etcd_endpoints});
    if (!client.ok()) return client.status();
    // Everything etcd holds is listed before anything is served.
    // While the store cannot follow etcd (its member lost the quorum), what
    // Galley holds may be stale: it says so on /readyz and gRPC health
    // rather than serve it as current.
    Readiness* readiness = &context.readiness;
    absl::StatusOr<std::unique_ptr<mesh::EtcdConfigStore>> etcd_store = mesh::EtcdConfigStore::Open(
        std::shared_ptr<etcd::EtcdClient>(*std::move(client)), "/keel/v1/config/",
        [this, readiness](const absl::Status& health) {
          if (!started_.load()) return;
          if (health.ok()) {
            readiness->SetReady();
          } else {
            spdlog::warn("{}", std::string(health.message()));
            readiness->SetNotReady(std::string(health.message()));
          }
        });
    if (!etcd_store.ok()) {
      return absl::Status(etcd_store.status().code(),
                          absl::StrCat("config store: cannot read etcd at ",
                                       absl::StrJoin(options_.etcd_endpoints, ","), ": ",
                                       etcd_store.status().message()));
    }
    if (!options_.config_dirs.empty()) {
      // One writer per folder set: replicas reading the same folders (a
      // ConfigMap mounted in each) elect one with a lease; the others only
      // serve, and take over when it dies.
      std::vector<std::string> dirs = options_.config_dirs;
      std::sort(dirs.begin(), dirs.end());
      StableHash folders;
      for (const std::string& dir : dirs) folders.Add(dir);
      const std::string key = absl::StrCat("/keel/v1/folder-writers/", folders.Hex());
      char host[256] = {};
      gethostname(host, sizeof(host) - 1);
      folder_writer_ = etcd::LeaderElection::Start(
          (*etcd_store)->client(),
          {.key = key,
           .candidate = absl::StrCat("galley@", host, ":", getpid()),
           .ttl = options_.folder_writer_lease});
      (*etcd_store)->WriteOnlyWhileLeading(
          key, [election = folder_writer_.get()] { return election->fence(); });
    }
    etcd_store_.store(etcd_store->get());
    store_ = *std::move(etcd_store);
    spdlog::info("config store: etcd at {}", absl::StrJoin(options_.etcd_endpoints, ","));
  }
  watch_ = store_->Watch([this](std::shared_ptr<const mesh::ConfigSnapshot> snapshot,
                                const mesh::ConfigChange& change) { Publish(*snapshot, change); });
  if (options_.source == ConfigSourceKind::kKubernetes) {
    // Istio 1.4's design: Galley is the one component that reads the
    // cluster; Pilot and Mixer keep reading MCP.
    absl::StatusOr<keel::kube::ClusterAccess> access =
        keel::kube::ResolveAccess(options_.kubeconfig, options_.kube_context);
    if (!access.ok()) return access.status();
    source_ = std::make_unique<kube::KubeSource>(
        kube::KubeSourceOptions{
            .access = *std::move(access),
            .registry = {.domain = options_.cluster_domain, .trust_domain = options_.trust_domain},
            .debounce = options_.debounce,
            .debounce_max = options_.debounce_max,
            .sync_timeout = options_.kube_sync_timeout},
        store_.get());
    if (absl::Status loaded = source_->Load(); !loaded.ok()) return loaded;
  } else if (options_.etcd_endpoints.empty() || !options_.config_dirs.empty()) {
    // A replica on etcd without folders only serves: it must not make etcd
    // hold "nothing".
    source_ =
        std::make_unique<FileSource>(FileSourceOptions{.directories = options_.config_dirs,
                                                       .debounce = options_.debounce,
                                                       .debounce_max = options_.debounce_max},
                                     store_.get());
    if (absl::Status loaded = source_->Load(); !loaded.ok()) return loaded;
  }
  // The first full state is published: now subscribers may connect.
  mcp_source_.Update(*store_->Current(), nullptr);
  Publish(*store_->Current(), {});
  mcp_source_.MarkReady();
  std::set<std::string> all_types;
  for (const mesh::KindInfo& kind : mesh::AllKinds()) all_types.insert(kind.type_url());
  local_feeds_.Push(all_types);
  if (source_ != nullptr) {
    if (absl::Status watching = source_->Watch(); !watching.ok()) return watching;
  }

  if (!options_.webhook_address.empty()) {
    absl::StatusOr<std::unique_ptr<HttpServer>> webhook = HttpServer::Start(
        options_.webhook_address, HttpServerOptions{.max_body_bytes = 2 << 20,
                                                    .tls_cert_file = options_.webhook_cert_file,
                                                    .tls_key_file = options_.webhook_key_file});
    if (!webhook.ok()) {
      return absl::Status(webhook.status().code(),
                          absl::StrCat("webhook: ", webhook.status().message()));
    }
    webhook_ = *std::move(webhook);
    webhook_->Handle("/validate", [this](const HttpRequest& request) {
      std::shared_ptr<const mesh::ConfigSnapshot> served = store_->Current();
      std::vector<const mesh::Resource*> in_force;
      for (const auto& [type_url, type] : served->types) {
        for (const auto& [key, resource] : type.resources) in_force.push_back(resource.get());
      }
      return HandleAdmissionReview(request, in_force);
    });
    spdlog::info("admission webhook listening on port {} ({})", webhook_->port(),
                 options_.webhook_cert_file.empty() ? "plain HTTP" : "HTTPS");
    if (!options_.injection_template.empty()) {
      absl::StatusOr<std::unique_ptr<Injector>> injector = Injector::Load(options_.injection_template);
      if (!injector.ok()) return injector.status();
      injector_ = *std::move(injector);
      webhook_->Handle("/inject", [this](const HttpRequest& request) {
        return injector_->HandleReview(request);
      });
    }
    std::vector<std::string> configurations;
    if (!options_.webhook_configuration.empty()) {
      configurations.push_back("validatingwebhookconfigurations/" + options_.webhook_configuration);
    }
    if (!options_.injection_configuration.empty()) {
      configurations.push_back("mutatingwebhookconfigurations/" + options_.injection_configuration);
    }
    if (!configurations.empty()) {
      absl::StatusOr<keel::kube::ClusterAccess> access =
          keel::kube::ResolveAccess(options_.kubeconfig, options_.kube_context);
      if (!access.ok()) return access.status();
      absl::StatusOr<std::unique_ptr<kube::WebhookCaKeeper>> keeper = kube::WebhookCaKeeper::Start(
          *std::move(access), std::move(configurations), options_.webhook_ca_file);
      if (!keeper.ok()) return keeper.status();
      webhook_ca_keeper_ = *std::move(keeper);
    }
  }

  // Read at each scrape: a reload that finds a folder emptied changes no
  // snapshot, so nothing else would update it.
  context.metrics.AddCollectable(std::make_shared<EmptiedFolders>(this));
  context.debug_pages.Handle("/debug/configz", [this](const HttpRequest&) { return Configz(); });
  context.debug_pages.Handle("/debug/mcpz", [this](const HttpRequest&) { return Mcpz(); });
  context.readiness.SetReady();
  started_.store(true);
  return absl::OkStatus();
}

void GalleyService::Publish(const mesh::ConfigSnapshot& snapshot,
                            const mesh::ConfigChange& change) {
  if (!change.empty()) mcp_source_.Update(snapshot, &change);
  if (reloads_ != nullptr) {
    snapshot_generation_->Set(static_cast<double>(snapshot.generation));
    for (const auto& [type_url, type] : snapshot.types) {
      const mesh::KindInfo* kind = mesh::FindKindByTypeUrl(type_url);
      resources_gauge_->Add({{"kind", kind->kind}}).Set(static_cast<double>(type.resources.size()));
    }
    if (source_ != nullptr) {
      LoadReport report = source_->LastReport();
      for (const mesh::KindInfo& kind : mesh::AllKinds()) {
        auto it = report.errors_by_kind.find(kind.kind);
        errors_gauge_->Add({{"kind", kind.kind}})
            .Set(it == report.errors_by_kind.end() ? 0 : it->second);
      }
      reloads_->Increment();
    }
  }
  if (!change.empty()) {
    std::set<std::string> types;
    for (const auto& [type_url, type_change] : change) types.insert(type_url);
    if (ads_server_ != nullptr) ads_server_->Push(types);
    local_feeds_.Push(types);
  }
}

namespace {

void WriteDiagnostic(const mesh::Diagnostic& d, JsonWriter& json) {
  json.BeginObject()
      .Key("level")
      .String(mesh::LevelName(d.level))
      .Key("file")
      .String(d.position.file)
      .Key("line")
      .Int(d.position.line)
      .Key("column")
      .Int(d.position.column)
      .Key("resource")
      .String(d.resource)
      .Key("field")
      .String(d.field)
      .Key("message")
      .String(d.message)
      .EndObject();
}

}  // namespace

HttpResponse GalleyService::Configz() const {
  std::shared_ptr<const mesh::ConfigSnapshot> snapshot = store_->Current();
  // A replica on etcd without folders has no file source: nothing to report.
  LoadReport report = source_ != nullptr ? source_->LastReport() : LoadReport();
  std::map<std::string, std::string> origins =
      source_ != nullptr ? source_->Origins() : std::map<std::string, std::string>();
  JsonWriter json;
  json.BeginObject().Key("generation").Uint(snapshot->generation).Key("types").BeginArray();
  for (const auto& [type_url, type] : snapshot->types) {
    json.BeginObject().Key("typeUrl").String(type_url).Key("version").String(type.version);
    json.Key("resources").BeginArray();
    for (const auto& [key, resource] : type.resources) {
      auto origin = origins.find(resource->Key());
      json.BeginObject()
          .Key("name")
          .String(key)
          .Key("file")
          .String(origin == origins.end() ? "" : origin->second)
          .EndObject();
    }
    json.EndArray().EndObject();
  }
  json.EndArray().Key("errors").BeginArray();
  for (const mesh::Diagnostic& d : report.errors) WriteDiagnostic(d, json);
  json.EndArray().Key("warnings").BeginArray();
  for (const mesh::Diagnostic& d : report.warnings) WriteDiagnostic(d, json);
  json.EndArray().Key("servingLastGoodVersion").BeginArray();
  for (const std::string& key : report.stale) json.String(key);
  json.EndArray().Key("missingDirectories").BeginArray();
  for (const std::string& dir : report.missing_directories) json.String(dir);
  json.EndArray().Key("emptiedDirectories").BeginArray();
  for (const std::string& dir : report.emptied_directories) json.String(dir);
  json.EndArray().Key("skipped").Uint(report.skipped.size());
  json.Key("source").BeginObject();
  if (source_ != nullptr) {
    for (const auto& [name, value] : source_->Counters()) json.Key(name).Uint(value);
  }
  json.EndObject().EndObject();
  return HttpResponse{.content_type = "application/json", .body = json.Take()};
}

HttpResponse GalleyService::Mcpz() const {
  JsonWriter json;
  json.BeginObject().Key("streams");
  if (ads_server_ != nullptr) {
    xds::WriteStreams(ads_server_->Streams(), json);
  } else {
    json.BeginArray().EndArray();  // no MCP server: no subscriber but this process
  }
  json.EndObject();
  return HttpResponse{.content_type = "application/json", .body = json.Take()};
}

void GalleyService::Stop() {
  // As Citadel: with etcd unreachable, shutdown costs one attempt per call.
  if (mesh::EtcdConfigStore* etcd = etcd_store_.load(); etcd != nullptr) etcd->client()->Close();
  if (source_ != nullptr) source_->Stop();
  folder_writer_.reset();  // resigns: another replica writes the folders at once
  webhook_ca_keeper_.reset();
  if (webhook_ != nullptr) webhook_->Stop();
  watch_.reset();
}

uint16_t GalleyService::webhook_port() const { return webhook_ == nullptr ? 0 : webhook_->port(); }

}  // namespace keel::galley
