#include "services/pilot/pilot_service.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/create_channel.h"
#include "libs/common/http_client.h"
#include "libs/common/json_writer.h"
#include "libs/common/net.h"
#include "libs/common/prometheus_query.h"
#include "libs/common/logging.h"
#include "libs/mesh/schema.h"
#include "libs/mesh/validation/validate.h"
#include "libs/xds/type_urls.h"
#include "libs/xds/status_json.h"
#include "prometheus/counter.h"
#include "services/pilot/generators/generators.h"
#include "services/pilot/console/console_assets.h"
#include "services/pilot/push/config_diff.h"
#include "services/pilot/push/describe.h"
#include "services/pilot/push/proxy.h"
#include "spdlog/spdlog.h"
#include "yaml-cpp/yaml.h"

namespace keel::pilot {

namespace {

HttpResponse JsonErrors(int status, const std::vector<std::string>& errors) {
  JsonWriter json;
  json.BeginObject().Key("errors").BeginArray();
  for (const std::string& error : errors) json.String(error);
  json.EndArray().EndObject();
  return HttpResponse{.status = status, .content_type = "application/json", .body = json.Take()};
}

const char* ShortTypeName(const std::string& type_url) {
  for (const xds::EnvoyType& type : xds::kEnvoyTypes) {
    if (type_url == type.type_url) return type.short_name;
  }
  return "?";
}

// GalleyHistoryClient asks Galley's config API (keelctl history's call).
std::function<absl::StatusOr<galley::v1::HistoryResponse>(const galley::v1::ResourceRef&)>
GalleyHistoryClient(const std::string& address,
                    std::shared_ptr<grpc::ChannelCredentials> credentials) {
  std::shared_ptr<galley::v1::ConfigService::Stub> stub = galley::v1::ConfigService::NewStub(
      grpc::CreateChannel(GrpcTargetFor(address), credentials != nullptr
                                                      ? credentials
                                                      : grpc::InsecureChannelCredentials()));
  return [stub](const galley::v1::ResourceRef& ref)
             -> absl::StatusOr<galley::v1::HistoryResponse> {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    galley::v1::HistoryResponse response;
    grpc::Status status = stub->History(&context, ref, &response);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat("Galley: ", status.error_message()));
    }
    return response;
  };
}

}  // namespace

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
  generations_ = &prometheus::BuildCounter()
                      .Name("pilot_xds_generations_total")
                      .Help(
                          "Parts of the config regenerated by pushes (LDS outbound, LDS "
                          "inbound, RDS, CDS, EDS); a change regenerates only what it touches.")
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
  client_options.credentials = options_.galley_credentials;
  client_options.node.set_id(absl::StrCat("pilot~", context.grpc_port));
  client_options.delta = true;
  client_options.max_receive_message_bytes = options_.galley_max_message_bytes;
  client_options.on_stream_end = [this](const grpc::Status& status) { OnConfigStreamEnd(status); };
  xds::ConfigFeed::Handler on_config = [this](const xds::ResourceUpdate& update) {
    return OnConfig(update);
  };
  galley_ = options_.config_feed
                ? options_.config_feed(std::move(on_config))
                : std::make_unique<xds::AdsClient>(client_options, std::move(on_config));
  for (const mesh::KindInfo& kind : mesh::AllKinds()) galley_->Subscribe(kind.type_url());
  galley_->Start();

  context.debug_pages.Handle("/debug/syncz", [this](const HttpRequest&) { return Syncz(); });
  context.debug_pages.Handle("/debug/adsz", [this](const HttpRequest&) { return Syncz(); });
  context.debug_pages.Handle("/debug/configz", [this](const HttpRequest&) { return Configz(); });
  context.debug_pages.Handle("/debug/meshz", [this](const HttpRequest&) { return Meshz(); });
  if (!options_.mesh_config_path.empty()) {
    absl::Status watching = mesh_watcher_.Start(options_.mesh_config_path, absl::Milliseconds(50),
                                                [this] { ReloadMeshConfig(); });
    if (!watching.ok()) return watching;
  }
  context.debug_pages.Handle("/debug/config_dump",
                            [this](const HttpRequest& r) { return ConfigDump(r); });
  context.debug_pages.Handle("/debug/diff", [this](const HttpRequest& r) { return Diff(r); });
  context.debug_pages.Handle("/debug/describe",
                             [this](const HttpRequest& r) { return Describe(r); });
  if (!options_.config_history && !options_.galley_address.empty()) {
    options_.config_history = GalleyHistoryClient(options_.galley_address,
                                                  options_.galley_credentials);
  }
  context.debug_pages.Handle("/debug/history",
                             [this](const HttpRequest& r) { return History(r); });
  context.debug_pages.Handle("/debug/rates", [this](const HttpRequest&) { return Rates(); });
  if (!options_.citadel_debug_address.empty()) {
    context.debug_pages.Handle("/debug/citadel/certz", [address = options_.citadel_debug_address](
                                                           const HttpRequest&) {
      absl::StatusOr<HttpResponse> relayed = HttpGet(address, "/debug/certz", absl::Seconds(5));
      if (!relayed.ok()) {
        return JsonErrors(502, {absl::StrCat("Citadel at ", address, ": ",
                                             relayed.status().message())});
      }
      return *relayed;
    });
  }
  context.debug_pages.Handle("/debug/graph", [this](const HttpRequest& r) {
    std::shared_ptr<const PushContext> pushed = source_.context();
    if (pushed == nullptr) return JsonErrors(503, {"Pilot does not hold its full config yet"});
    return HttpResponse{.content_type = "application/json",
                        .body = TrafficGraphJson(*pushed, r.QueryParam("namespace").value_or("default"))};
  });
  // The web console: its files are compiled in; it reads the pages above.
  for (int i = 0; i < kConsoleAssetCount; ++i) {
    const ConsoleAsset& asset = kConsoleAssets[i];
    const HttpResponse response{.content_type = asset.content_type, .body = asset.body};
    const std::string name = asset.name;
    context.debug_pages.Handle(name == "index.html" ? "/console" : "/console/" + name,
                               [response](const HttpRequest&) { return response; });
    if (name == "index.html") {
      context.debug_pages.Handle("/console/", [response](const HttpRequest&) { return response; });
    }
  }
  context.readiness.SetNotReady("waiting for the full configuration from Galley");
  return absl::OkStatus();
}

HttpResponse PilotService::History(const HttpRequest& request) const {
  galley::v1::ResourceRef ref;
  ref.set_kind(request.QueryParam("kind").value_or(""));
  ref.set_namespace_(request.QueryParam("namespace").value_or("default"));
  ref.set_name(request.QueryParam("name").value_or(""));
  if (ref.kind().empty() || ref.name().empty()) {
    return JsonErrors(400, {"give the resource: /debug/history?kind=VirtualService&namespace=default"
                            "&name=reviews"});
  }
  if (!options_.config_history) {
    return JsonErrors(404, {"config history comes from Galley's config API, and this Pilot "
                            "has no Galley address"});
  }
  absl::StatusOr<galley::v1::HistoryResponse> history = options_.config_history(ref);
  if (!history.ok()) {
    const int status = absl::IsNotFound(history.status())             ? 404
                       : absl::IsInvalidArgument(history.status())    ? 400
                       : absl::IsFailedPrecondition(history.status()) ? 409
                                                                      : 502;
    return JsonErrors(status, {std::string(history.status().message())});
  }
  JsonWriter json;
  json.BeginObject().Key("versions").BeginArray();
  for (const galley::v1::StoredResource& version : history->versions()) {
    json.BeginObject()
        .Key("resource").String(version.resource())
        .Key("revision").Int(version.revision())
        .Key("object").Raw(version.json())
        .EndObject();
  }
  json.EndArray().EndObject();
  return HttpResponse{.content_type = "application/json", .body = json.Take()};
}

HttpResponse PilotService::Rates() const {
  // Without a Prometheus the answer is an empty list, not an error: the
  // console asks each second and then samples Mixer's metrics in process.
  JsonWriter json;
  json.BeginObject().Key("prometheus").String(options_.prometheus_address).Key("rates").BeginArray();
  if (!options_.prometheus_address.empty()) {
    absl::StatusOr<std::vector<MeshRequestRate>> rates =
        MeshRequestRates(options_.prometheus_address);
    if (!rates.ok()) return JsonErrors(502, {std::string(rates.status().message())});
    for (const MeshRequestRate& rate : *rates) {
      json.BeginObject()
          .Key("service").String(rate.service)
          .Key("version").String(rate.version)
          .Key("perSecond").Double(rate.per_second)
          .Key("errorsPerSecond").Double(rate.errors_per_second)
          .EndObject();
    }
  }
  json.EndArray().EndObject();
  return HttpResponse{.content_type = "application/json", .body = json.Take()};
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

namespace {

std::shared_ptr<const xds::TypeResources> GeneratePart(Part part, const PushContext& context,
                                                       InboundListenerCache& inbound_cache) {
  switch (part) {
    case Part::kOutboundListeners:
      return GenerateOutboundListeners(context);
    case Part::kInboundListeners:
      return GenerateInboundListeners(context, Proxy{}, &inbound_cache);
    case Part::kRoutes:
      return GenerateRoutes(context);
    case Part::kClusters:
      return GenerateClusters(context);
    case Part::kEndpoints:
      return GenerateEndpoints(context);
  }
  return nullptr;
}

std::string TypeOfPart(Part part) {
  switch (part) {
    case Part::kOutboundListeners:
    case Part::kInboundListeners:
      return kListenerType;
    case Part::kRoutes:
      return kRouteType;
    case Part::kClusters:
      return kClusterType;
    case Part::kEndpoints:
      return kEndpointType;
  }
  return "";
}

}  // namespace

void PilotService::Push(int merged_events) {
  absl::MutexLock push_lock(&push_mu_);
  const absl::Time start = absl::Now();
  // What changed since the last push decides what is regenerated; the first
  // push, and a mesh config change, regenerate everything.
  // The changes and the config they lead to, taken together.
  ConfigIntake::Taken taken = config_.Take();
  const std::set<ConfigKey>& changes = taken.changes;
  const bool full = parts_.size() < std::size(kAllParts) || full_push_requested_.exchange(false);
  std::set<Part> stale;
  // Inbound listeners are kept by workload; a change to another config
  // they read invalidates them all.
  if (full || std::any_of(changes.begin(), changes.end(), [](const ConfigKey& key) {
        return key.kind != "WorkloadEntry" &&
               PartsAffectedBy({key}).count(Part::kInboundListeners) > 0;
      })) {
    inbound_cache_.entries.clear();
  }
  const uint64_t inbound_built_before = inbound_cache_.built;
  if (full) {
    stale.insert(std::begin(kAllParts), std::end(kAllParts));
  } else {
    stale = PartsAffectedBy(changes);
  }
  ConfigIntake::Snapshot& config = taken.snapshot;
  const uint64_t version = config.version;
  // The services (the costly part of the context) carry over while no
  // ServiceEntry or WorkloadEntry changed.
  const bool services_unchanged =
      !full && std::none_of(changes.begin(), changes.end(), [](const ConfigKey& key) {
        return key.kind == "ServiceEntry" || key.kind == "WorkloadEntry";
      });
  std::shared_ptr<const PushContext> previous = services_unchanged ? source_.context() : nullptr;
  std::shared_ptr<const PushContext> context = PushContext::Build(
      config.resources, version,
      PushOptions{.cluster_domain = options_.cluster_domain, .mesh = mesh()}, previous.get());
  const absl::Time built = absl::Now();
  std::string phases;
  std::set<std::string> stale_types;
  for (Part part : stale) {
    const absl::Time before = absl::Now();
    parts_[part] = GeneratePart(part, *context, inbound_cache_);  // the unscoped view
    stale_types.insert(TypeOfPart(part));
    generations_->Add({{"part", PartName(part)}}).Increment();
    absl::StrAppend(&phases, " ", PartName(part), " ",
                    absl::StrFormat("%.1f", absl::ToDoubleMilliseconds(absl::Now() - before)),
                    "ms");
    if (part == Part::kInboundListeners) {
      absl::StrAppend(&phases, " (", inbound_cache_.built - inbound_built_before, " built)");
    }
  }
  if (stale.count(Part::kOutboundListeners) > 0 || stale.count(Part::kInboundListeners) > 0) {
    listeners_ = MergeTypeResources(
        {parts_.at(Part::kOutboundListeners).get(), parts_.at(Part::kInboundListeners).get()});
  }
  std::map<std::string, std::shared_ptr<const xds::TypeResources>> generated = {
      {kListenerType, listeners_},
      {kRouteType, parts_.at(Part::kRoutes)},
      {kClusterType, parts_.at(Part::kClusters)},
      {kEndpointType, parts_.at(Part::kEndpoints)},
  };
  std::set<std::string> changed = source_.Set(std::move(generated), context);
  push_time_->Observe(absl::ToDoubleSeconds(absl::Now() - start));
  services_gauge_->Set(static_cast<double>(context->services().size()));
  virtual_services_gauge_->Set(static_cast<double>(context->virtual_service_count()));
  for (const std::string& type_url : changed) pushes_->Add({{"type", type_url}}).Increment();
  // Streams are woken only for the types regenerated: what a proxy sees of
  // a type can change while the unscoped set does not (a Sidecar narrowing
  // its scope), but never without its part being regenerated. A woken
  // stream whose own resources are unchanged sends nothing.
  ads_server_->Push(stale_types);
  spdlog::info(
      "push {}: {} services, {} configs changed, {} events merged, {} types changed, {:.1f} ms "
      "(context {:.1f} ms;{}{})",
      version, context->services().size(), changes.size(), merged_events, changed.size(),
      absl::ToDoubleMilliseconds(absl::Now() - start), absl::ToDoubleMilliseconds(built - start),
      phases.empty() ? " nothing regenerated" : " regenerated", phases);
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


HttpResponse PilotService::Diff(const HttpRequest& request) const {
  if (request.method != "POST") {
    return JsonErrors(405, {"POST {\"files\": [{\"name\": ..., \"content\": ...}]}"});
  }
  // The files, validated as Galley would: nothing is compared unless all are valid.
  std::vector<std::shared_ptr<const mesh::Resource>> changes;
  std::vector<std::string> errors;
  try {
    const YAML::Node body = YAML::Load(request.body);
    if (!body.IsMap() || !body["files"].IsSequence()) {
      return JsonErrors(400, {"the body must be {\"files\": [{\"name\": ..., \"content\": ...}]}"});
    }
    for (const YAML::Node& file : body["files"]) {
      if (!file.IsMap() || !file["name"].IsScalar() || !file["content"].IsScalar()) {
        return JsonErrors(400, {"each file needs a \"name\" and a \"content\" string"});
      }
      mesh::ParsedFile parsed =
          mesh::ParseConfigFile(file["name"].Scalar(), file["content"].Scalar());
      for (const mesh::Diagnostic& d : parsed.diagnostics) {
        if (d.level == mesh::Level::kError) errors.push_back(d.ToString());
      }
      for (mesh::Resource& resource : parsed.resources) {
        for (const mesh::Diagnostic& d : mesh::ValidateResource(resource)) {
          if (d.level == mesh::Level::kError) errors.push_back(d.ToString());
        }
        changes.push_back(std::make_shared<const mesh::Resource>(std::move(resource)));
      }
    }
  } catch (const YAML::Exception& e) {
    return JsonErrors(400, {absl::StrCat("the body is not JSON: ", e.msg)});
  }
  if (!errors.empty()) return JsonErrors(400, errors);
  if (!source_.Ready()) return JsonErrors(503, {"Pilot does not hold its full config yet"});

  std::vector<ConnectedProxy> proxies;
  std::set<std::string> seen;
  for (const xds::StreamStatus& stream : ads_server_->Streams()) {
    if (!seen.insert(stream.node_id).second) continue;
    ConnectedProxy proxy{.id = stream.node_id, .node = stream.node};
    for (const auto& [type_url, generator] : Generators()) {
      std::set<std::string> names = ads_server_->SubscribedNames(stream.node_id, type_url);
      if (!names.empty()) proxy.subscribed[type_url] = std::move(names);
    }
    proxies.push_back(std::move(proxy));
  }
  const std::vector<std::shared_ptr<const mesh::Resource>> current = config_.Current().resources;
  const std::vector<ProxyDiff> diffs =
      DiffProxies(current, Overlay(current, changes),
                  PushOptions{.cluster_domain = options_.cluster_domain, .mesh = mesh()}, proxies);

  JsonWriter json;
  json.BeginObject().Key("connected").Uint(proxies.size()).Key("proxies").BeginArray();
  for (const ProxyDiff& diff : diffs) {
    json.BeginObject().Key("proxy").String(diff.proxy).Key("changes").BeginArray();
    for (const ResourceChange& change : diff.changes) {
      json.BeginObject()
          .Key("type")
          .String(ShortTypeName(change.type_url))
          .Key("name")
          .String(change.name)
          .Key("change")
          .String(ChangeKindName(change.kind));
      json.Key("before").Raw(change.before_json.empty() ? "null" : change.before_json);
      json.Key("after").Raw(change.after_json.empty() ? "null" : change.after_json);
      json.EndObject();
    }
    json.EndArray().EndObject();
  }
  json.EndArray().EndObject();
  return HttpResponse{.content_type = "application/json", .body = json.Take()};
}

HttpResponse PilotService::Describe(const HttpRequest& request) const {
  std::shared_ptr<const PushContext> context = source_.context();
  if (context == nullptr) return JsonErrors(503, {"Pilot does not hold its full config yet"});
  absl::StatusOr<std::string> answer;
  if (std::optional<std::string> workload = request.QueryParam("workload")) {
    answer = DescribeWorkloadJson(*context, *workload);
  } else if (std::optional<std::string> host = request.QueryParam("service")) {
    const std::string ns = request.QueryParam("namespace").value_or("default");
    const ServiceInfo* service = ResolveHost(*context, *host, ns);
    // The proxies that subscribe to the service (to one of its clusters, or
    // to a listener for it), and how their last responses fared.
    std::vector<SubscriberState> subscribers;
    for (const xds::StreamStatus& stream : service == nullptr ? std::vector<xds::StreamStatus>()
                                                              : ads_server_->Streams()) {
      bool subscribes = false;
      for (const std::string& name : ads_server_->SubscribedNames(stream.node_id, kClusterType)) {
        subscribes |= absl::EndsWith(name, "|" + service->host);
      }
      for (const std::string& name : ads_server_->SubscribedNames(stream.node_id, kListenerType)) {
        subscribes |= absl::StartsWith(name, service->host + ":");
      }
      if (!subscribes) continue;
      SubscriberState state{.proxy = stream.node_id,
                            .namespace_name = ProxyNamespace(stream.node),
                            .status = "SYNCED"};
      for (const xds::TypeStatus& type : stream.types) {
        if (!type.nacked_version.empty()) {
          state.status = "NACKED";
          state.nack = absl::StrCat(ShortTypeName(type.type_url), ": ", type.nack_message);
          break;
        }
        if (type.acked_version != type.sent_version) state.status = "STALE";
      }
      subscribers.push_back(std::move(state));
    }
    answer = DescribeServiceJson(*context, *host, ns, subscribers);
  } else {
    return JsonErrors(400, {"?service=HOST[&namespace=NS] or ?workload=NAMESPACE/NAME"});
  }
  if (!answer.ok()) {
    return JsonErrors(absl::IsNotFound(answer.status()) ? 404 : 500,
                      {std::string(answer.status().message())});
  }
  return HttpResponse{.content_type = "application/json", .body = *std::move(answer)};
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
    full_push_requested_ = true;
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
