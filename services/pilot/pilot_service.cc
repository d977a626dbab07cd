#include "services/pilot/pilot_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/common/json_writer.h"
#include "libs/common/logging.h"
#include "libs/mesh/schema.h"
#include "libs/xds/status_json.h"
#include "prometheus/counter.h"
#include "services/pilot/generators/generators.h"
#include "spdlog/spdlog.h"

namespace keel::pilot {

PilotService::PilotService(PilotOptions options) : options_(std::move(options)) {}

PilotService::~PilotService() { Stop(); }

void PilotService::RegisterGrpcServices(grpc::ServerBuilder& builder, MetricsRegistry& metrics) {
  rejects_ = &prometheus::BuildCounter()
                  .Name("pilot_total_xds_rejects")
                  .Help("Total number of xDS responses rejected (NACKed) by proxies.")
                  .Register(metrics.registry())
                  .Add({});
  convergence_ = &prometheus::BuildHistogram()
                      .Name("pilot_proxy_convergence_time")
                      .Help("Time from a push until the proxy ACKed it, in seconds.")
                      .Register(metrics.registry())
                      .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.01, 0.1, 0.5, 1, 3,
                                                                       5, 10, 20, 30});
  ads_server_ = std::make_unique<xds::AdsServer>(
      &source_, &metrics,
      xds::AdsServerOptions{
          .metrics_prefix = "pilot_xds",
          .on_nack = [this](const std::string&, const std::string&, const std::string&,
                            const std::string&) { rejects_->Increment(); },
          .on_ack =
              [this](const std::string&, const std::string&, absl::Duration since_push) {
                convergence_->Observe(absl::ToDoubleSeconds(since_push));
              },
          .max_streams = options_.xds_max_streams,
          .new_streams_per_second = options_.xds_new_streams_per_second,
          .max_names_per_type = options_.xds_max_names_per_type});
  builder.RegisterService(ads_server_.get());
  // Rebalance proxies across Pilot replicas: connections are closed
  // gracefully after 30 minutes (Istio's default), and clients reconnect.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, 30 * 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 10 * 1000);
}

absl::Status PilotService::Start(ServiceContext& context) {
  context_ = &context;
  auto& registry = context.metrics.registry();
  pushes_ = &prometheus::BuildCounter()
                 .Name("pilot_xds_pushes")
                 .Help("Pushes, by type.")
                 .Register(registry);
  push_time_ = &prometheus::BuildHistogram()
                    .Name("pilot_xds_push_time")
                    .Help("Time to compute a push (PushContext and every generator), in seconds.")
                    .Register(registry)
                    .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.05, 0.1,
                                                                     0.5, 1, 5});
  services_gauge_ = &prometheus::BuildGauge()
                         .Name("pilot_services")
                         .Help("Services known.")
                         .Register(registry)
                         .Add({});
  virtual_services_gauge_ = &prometheus::BuildGauge()
                                 .Name("pilot_virt_services")
                                 .Help("VirtualServices known.")
                                 .Register(registry)
                                 .Add({});

  mesh_config_errors_ = &prometheus::BuildCounter()
                             .Name("pilot_mesh_config_errors_total")
                             .Help("Mesh config reloads rejected (the previous one kept).")
                             .Register(registry)
                             .Add({});
  absl::StatusOr<mesh::MeshConfig> mesh = mesh::LoadMeshConfigFile(options_.mesh_config_path);
  if (!mesh.ok()) return mesh.status();
  {
    absl::MutexLock lock(&mesh_mu_);
    mesh_ = *std::move(mesh);
  }
  debouncer_ = std::make_unique<Debouncer>(options_.debounce_after, options_.debounce_max,
                                           [this](int merged) { Push(merged); });
  xds::AdsClientOptions client_options;
  client_options.server_address = options_.galley_address;
  client_options.node.set_id(absl::StrCat("pilot~", context.grpc_port));
  client_options.delta = true;
  client_options.max_receive_message_bytes = options_.galley_max_message_bytes;
  client_options.on_stream_end = [this](const grpc::Status& status) { OnConfigStreamEnd(status); };
  galley_ = std::make_unique<xds::AdsClient>(
      client_options, [this](const xds::ResourceUpdate& update) { return OnConfig(update); });
  for (const mesh::KindInfo& kind : mesh::AllKinds()) galley_->Subscribe(kind.type_url());
  galley_->Start();

  context.monitoring.Handle("/debug/syncz", [this](const HttpRequest&) { return Syncz(); });
  context.monitoring.Handle("/debug/adsz", [this](const HttpRequest&) { return Syncz(); });
  context.monitoring.Handle("/debug/configz", [this](const HttpRequest&) { return Configz(); });
  context.monitoring.Handle("/debug/meshz", [this](const HttpRequest&) { return Meshz(); });
  if (!options_.mesh_config_path.empty()) {
    absl::Status watching = mesh_watcher_.Start(options_.mesh_config_path, absl::Milliseconds(50),
                                                [this] { ReloadMeshConfig(); });
    if (!watching.ok()) return watching;
  }
  context.monitoring.Handle("/debug/config_dump",
                            [this](const HttpRequest& r) { return ConfigDump(r); });
  context.readiness.SetNotReady("waiting for the full configuration from Galley");
  return absl::OkStatus();
}

void PilotService::OnConfigStreamEnd(const grpc::Status& status) {
  // Galley going away is routine: the last config keeps serving, as Istio's
  // Pilot does. Any other end means config cannot arrive (too large, or
  // refused): serving it as if current would be a lie.
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::CANCELLED || status.ok()) {
    return;
  }
  absl::MutexLock lock(&stream_mu_);
  config_stream_broken_ = true;
  types_since_break_.clear();
  context_->readiness.SetNotReady(
      absl::StrCat("the config stream from Galley failed: ", status.error_message()));
}

absl::Status PilotService::OnConfig(const xds::ResourceUpdate& update) {
  absl::StatusOr<bool> completed = config_.Apply(update);
  if (!completed.ok()) return completed.status();
  {
    absl::MutexLock lock(&stream_mu_);
    if (config_stream_broken_) {
      types_since_break_.insert(update.type_url);
      if (types_since_break_.size() >= mesh::AllKinds().size() && source_.Ready()) {
        config_stream_broken_ = false;
        context_->readiness.SetReady();
      }
    }
  }
  if (*completed) {
    // The full configuration is here: push at once, then accept clients.
    // On the MCP client's thread: the first push is immediate, not debounced.
    Push(0);
    {
      absl::MutexLock lock(&stream_mu_);
      config_stream_broken_ = false;
    }
    context_->readiness.SetReady();
  } else if (source_.Ready()) {
    debouncer_->Event();
  }
  return absl::OkStatus();
}

void PilotService::Push(int merged_events) {
  absl::MutexLock push_lock(&push_mu_);
  const absl::Time start = absl::Now();
  ConfigIntake::Snapshot config = config_.Current();
  const uint64_t version = config.version;
  std::shared_ptr<const PushContext> context =
      PushContext::Build(config.resources, version,
                         PushOptions{.cluster_domain = options_.cluster_domain, .mesh = mesh()});
  std::map<std::string, std::shared_ptr<const xds::TypeResources>> generated;
  for (const auto& [type_url, generator] : Generators()) {
    generated[type_url] = generator(*context, Proxy{});  // the unscoped view
  }
  std::set<std::string> changed = source_.Set(std::move(generated), context);
  push_time_->Observe(absl::ToDoubleSeconds(absl::Now() - start));
  services_gauge_->Set(static_cast<double>(context->services().size()));
  virtual_services_gauge_->Set(static_cast<double>(context->virtual_service_count()));
  for (const std::string& type_url : changed) pushes_->Add({{"type", type_url}}).Increment();
  // Every stream re-checks every type: what a proxy sees can change while
  // the full set does not (a Sidecar narrowing or widening its scope). A
  // stream whose own resources are unchanged sends nothing.
  std::set<std::string> all_types;
  for (const auto& [type_url, generator] : Generators()) all_types.insert(type_url);
  ads_server_->Push(all_types);
  spdlog::info("push {}: {} services, {} events merged, {} types changed, {:.1f} ms", version,
               context->services().size(), merged_events, changed.size(),
               absl::ToDoubleMilliseconds(absl::Now() - start));
}

HttpResponse PilotService::Syncz() const {
  JsonWriter json;
  xds::WriteStreams(ads_server_->Streams(), json);
  return HttpResponse{.content_type = "application/json", .body = json.Take()};
}

HttpResponse PilotService::Configz() const {
  JsonWriter json;
  json.BeginObject()
      .Key("version")
      .Uint(config_.version())
      .Key("galleyConnected")
      .Bool(galley_->connected())
      .Key("types")
      .BeginObject();
  for (const auto& [type_url, names] : config_.Names()) {
    json.Key(type_url).BeginArray();
    for (const std::string& name : names) json.String(name);
    json.EndArray();
  }
  json.EndObject().EndObject();
  return HttpResponse{.content_type = "application/json", .body = json.Take()};
}

HttpResponse PilotService::ConfigDump(const HttpRequest& request) const {
  const std::string proxy = request.QueryParam("proxyID").value_or("");
  const xds::StreamStatus* found = nullptr;
  const std::vector<xds::StreamStatus> streams = ads_server_->Streams();
  for (const xds::StreamStatus& stream : streams) {
    if (stream.node_id == proxy) found = &stream;
  }
  if (found == nullptr) {
    return HttpResponse{
        .status = 404,
        .body = absl::StrCat("no connected proxy \"", JsonEscape(ClientText(proxy, 256)), "\"\n")};
  }
  JsonWriter json;
  json.BeginObject();
  for (const auto& [type_url, generator] : Generators()) {
    // What this proxy gets (its namespace's view), not the unscoped one.
    auto resources = source_.Resources(type_url, found->node);
    json.Key(type_url).BeginArray();
    for (const std::string& name : ads_server_->SubscribedNames(proxy, type_url)) {
      if (resources == nullptr) break;
      auto it = resources->resources.find(name);
      if (it == resources->resources.end()) continue;
      std::string one;
      (void)google::protobuf::util::MessageToJsonString(it->second->body, &one);
      json.Raw(one);
    }
    json.EndArray();
  }
  json.EndObject();
  return HttpResponse{.content_type = "application/json", .body = json.Take()};
}

mesh::MeshConfig PilotService::mesh() const {
  absl::MutexLock lock(&mesh_mu_);
  return mesh_;
}

// A changed mesh config file replaces the mesh config and pushes; a bad one
// is logged and counted, and the previous one keeps running.
void PilotService::ReloadMeshConfig() {
  absl::StatusOr<mesh::MeshConfig> loaded = mesh::LoadMeshConfigFile(options_.mesh_config_path);
  if (!loaded.ok()) {
    mesh_config_errors_->Increment();
    spdlog::error("mesh config rejected, the previous one keeps running: {}",
                  std::string(loaded.status().message()));
    return;
  }
  {
    absl::MutexLock lock(&mesh_mu_);
    if (google::protobuf::util::MessageDifferencer::Equals(mesh_, *loaded)) return;
    mesh_ = *std::move(loaded);
  }
  spdlog::info("mesh config reloaded from {}", options_.mesh_config_path);
  if (source_.Ready()) debouncer_->Event();
}

HttpResponse PilotService::Meshz() const {
  return HttpResponse{.content_type = "application/json", .body = mesh::MeshConfigJson(mesh())};
}

void PilotService::Stop() {
  mesh_watcher_.Stop();
  if (galley_ != nullptr) galley_->Stop();
  debouncer_.reset();
}

}  // namespace keel::pilot
