#include "services/pilot/debug/debug_pages.h"

#include <chrono>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "libs/common/http_client.h"
#include "libs/common/json_writer.h"
#include "libs/common/net.h"
#include "libs/common/prometheus_query.h"
#include "libs/mesh/admission.h"
#include "libs/xds/status_json.h"
#include "libs/xds/type_urls.h"
#include "proto/keel/galley/config.grpc.pb.h"
#include "services/pilot/console/console_assets.h"
#include "services/pilot/generators/table.h"
#include "services/pilot/serve/config_diff.h"
#include "services/pilot/serve/describe.h"
#include "services/pilot/push/proxy.h"
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

// The pages' handlers, over what they read.
class Pages {
 public:
  explicit Pages(PilotState state) : state_(std::move(state)) {}
  const PilotState& state() const { return state_; }

  HttpResponse Syncz() const;
  // /debug/history?kind=K&namespace=NS&name=N: a resource's versions.
  HttpResponse History(const HttpRequest& request) const;
  // /debug/rates: each destination version's request and error rates over
  // the last minute, from Prometheus (none without one).
  HttpResponse Rates() const;
  HttpResponse Configz() const;
  HttpResponse ConfigDump(const HttpRequest& request) const;
  // What the files posted would change for each connected proxy (keelctl
  // diff); nothing is applied.
  HttpResponse Diff(const HttpRequest& request) const;
  // keelctl describe: ?service=HOST&namespace=NS, or ?workload=NS/NAME.
  HttpResponse Describe(const HttpRequest& request) const;
  HttpResponse Meshz() const;

 private:
  const PilotState state_;
};

}  // namespace

ConfigHistory GalleyHistoryClient(const std::string& address,
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

HttpResponse Pages::History(const HttpRequest& request) const {
  galley::v1::ResourceRef ref;
  ref.set_kind(request.QueryParam("kind").value_or(""));
  ref.set_namespace_(request.QueryParam("namespace").value_or("default"));
  ref.set_name(request.QueryParam("name").value_or(""));
  if (ref.kind().empty() || ref.name().empty()) {
    return JsonErrors(400, {"give the resource: /debug/history?kind=VirtualService&namespace=default"
                            "&name=reviews"});
  }
  if (!state_.config_history) {
    return JsonErrors(404, {"config history comes from Galley's config API, and this Pilot "
                            "has no Galley address"});
  }
  absl::StatusOr<galley::v1::HistoryResponse> history = state_.config_history(ref);
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

HttpResponse Pages::Rates() const {
  // Without a Prometheus the answer is an empty list, not an error: the
  // console asks each second and then samples Mixer's metrics in process.
  JsonWriter json;
  json.BeginObject().Key("prometheus").String(state_.prometheus_address).Key("rates").BeginArray();
  if (!state_.prometheus_address.empty()) {
    absl::StatusOr<std::vector<MeshRequestRate>> rates =
        MeshRequestRates(state_.prometheus_address);
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

HttpResponse Pages::Syncz() const {
  JsonWriter json;
  xds::WriteStreams(state_.ads_server->Streams(), json);
  return HttpResponse{.content_type = "application/json", .body = json.Take()};
}

HttpResponse Pages::Configz() const {
  JsonWriter json;
  json.BeginObject()
      .Key("version")
      .Uint(state_.config->version())
      .Key("galleyConnected")
      .Bool(state_.galley->connected())
      .Key("types")
      .BeginObject();
  for (const auto& [type_url, names] : state_.config->Names()) {
    json.Key(type_url).BeginArray();
    for (const std::string& name : names) json.String(name);
    json.EndArray();
  }
  json.EndObject().EndObject();
  return HttpResponse{.content_type = "application/json", .body = json.Take()};
}

HttpResponse Pages::ConfigDump(const HttpRequest& request) const {
  const std::string proxy = request.QueryParam("proxyID").value_or("");
  const xds::StreamStatus* found = nullptr;
  const std::vector<xds::StreamStatus> streams = state_.ads_server->Streams();
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
  for (const std::string& type_url : GeneratedTypes()) {
    // What this proxy gets (its namespace's view), not the unscoped one.
    auto resources = state_.source->Resources(type_url, found->node);
    json.Key(type_url).BeginArray();
    for (const std::string& name : state_.ads_server->SubscribedNames(proxy, type_url)) {
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

HttpResponse Pages::Diff(const HttpRequest& request) const {
  if (request.method != "POST") {
    return JsonErrors(405, {"POST {\"files\": [{\"name\": ..., \"content\": ...}]}"});
  }
  // The files, admitted as Galley admits them (Mixer's type-check against
  // the config in force included): nothing is compared unless all are valid.
  std::vector<mesh::ConfigText> files;
  try {
    const YAML::Node body = YAML::Load(request.body);
    if (!body.IsMap() || !body["files"].IsSequence()) {
      return JsonErrors(400, {"the body must be {\"files\": [{\"name\": ..., \"content\": ...}]}"});
    }
    for (const YAML::Node& file : body["files"]) {
      if (!file.IsMap() || !file["name"].IsScalar() || !file["content"].IsScalar()) {
        return JsonErrors(400, {"each file needs a \"name\" and a \"content\" string"});
      }
      files.push_back({file["name"].Scalar(), file["content"].Scalar()});
    }
  } catch (const YAML::Exception& e) {
    return JsonErrors(400, {absl::StrCat("the body is not JSON: ", e.msg)});
  }
  const std::vector<std::shared_ptr<const mesh::Resource>> current =
      state_.config->Current().resources;
  std::vector<const mesh::Resource*> in_force;
  for (const auto& resource : current) in_force.push_back(resource.get());
  std::vector<mesh::CheckedFile> checked = mesh::AdmitFiles(files, in_force);
  std::vector<std::string> errors;
  std::vector<std::shared_ptr<const mesh::Resource>> changes;
  for (mesh::CheckedFile& file : checked) {
    for (const mesh::Diagnostic& d : file.diagnostics) {
      if (d.level == mesh::Level::kError) errors.push_back(d.ToString());
    }
    for (mesh::Resource& resource : file.resources) {
      changes.push_back(std::make_shared<const mesh::Resource>(std::move(resource)));
    }
  }
  if (!errors.empty()) return JsonErrors(400, errors);
  if (!state_.source->Ready()) return JsonErrors(503, {"Pilot does not hold its full config yet"});

  std::vector<ConnectedProxy> proxies;
  std::set<std::string> seen;
  for (const xds::StreamStatus& stream : state_.ads_server->Streams()) {
    if (!seen.insert(stream.node_id).second) continue;
    ConnectedProxy proxy{.id = stream.node_id, .node = stream.node};
    for (const std::string& type_url : GeneratedTypes()) {
      std::set<std::string> names = state_.ads_server->SubscribedNames(stream.node_id, type_url);
      if (!names.empty()) proxy.subscribed[type_url] = std::move(names);
    }
    proxies.push_back(std::move(proxy));
  }
  const std::vector<ProxyDiff> diffs =
      DiffProxies(current, Overlay(current, changes),
                  state_.push_options(), proxies);

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

HttpResponse Pages::Describe(const HttpRequest& request) const {
  std::shared_ptr<const PushContext> context = state_.source->context();
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
                                                              : state_.ads_server->Streams()) {
      bool subscribes = false;
      for (const std::string& name : state_.ads_server->SubscribedNames(stream.node_id, kClusterType)) {
        subscribes |= absl::EndsWith(name, "|" + service->host);
      }
      for (const std::string& name : state_.ads_server->SubscribedNames(stream.node_id, kListenerType)) {
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

HttpResponse Pages::Meshz() const {
  return HttpResponse{.content_type = "application/json",
                      .body = mesh::MeshConfigJson(state_.push_options().mesh)};
}

void RegisterDebugPages(PilotState state, DebugPages& pages) {
  const std::string citadel = state.citadel_debug_address;
  // Shared by the handlers, which live as long as the pages' server.
  auto shared = std::make_shared<const Pages>(std::move(state));
  pages.Handle("/debug/syncz", [pages = shared](const HttpRequest&) { return pages->Syncz(); });
  pages.Handle("/debug/adsz", [pages = shared](const HttpRequest&) { return pages->Syncz(); });
  pages.Handle("/debug/configz", [pages = shared](const HttpRequest&) { return pages->Configz(); });
  pages.Handle("/debug/meshz", [pages = shared](const HttpRequest&) { return pages->Meshz(); });
  pages.Handle("/debug/config_dump",
               [pages = shared](const HttpRequest& r) { return pages->ConfigDump(r); });
  pages.Handle("/debug/diff", [pages = shared](const HttpRequest& r) { return pages->Diff(r); });
  pages.Handle("/debug/describe",
               [pages = shared](const HttpRequest& r) { return pages->Describe(r); });
  pages.Handle("/debug/history",
               [pages = shared](const HttpRequest& r) { return pages->History(r); });
  pages.Handle("/debug/rates", [pages = shared](const HttpRequest&) { return pages->Rates(); });
  if (!citadel.empty()) {
    pages.Handle("/debug/citadel/certz", [address = citadel](const HttpRequest&) {
      absl::StatusOr<HttpResponse> relayed = HttpGet(address, "/debug/certz", absl::Seconds(5));
      if (!relayed.ok()) {
        return JsonErrors(502, {absl::StrCat("Citadel at ", address, ": ",
                                             relayed.status().message())});
      }
      return *relayed;
    });
  }
  pages.Handle("/debug/graph", [pages = shared](const HttpRequest& r) {
    std::shared_ptr<const PushContext> pushed = pages->state().source->context();
    if (pushed == nullptr) return JsonErrors(503, {"Pilot does not hold its full config yet"});
    const std::string ns = r.QueryParam("namespace").value_or("default");
    return HttpResponse{.content_type = "application/json",
                        .body = TrafficGraphJson(*pushed, ns)};
  });
  // The web console: its files are compiled in; it reads the pages above.
  for (int i = 0; i < kConsoleAssetCount; ++i) {
    const ConsoleAsset& asset = kConsoleAssets[i];
    const HttpResponse response{.content_type = asset.content_type, .body = asset.body};
    const std::string name = asset.name;
    pages.Handle(name == "index.html" ? "/console" : "/console/" + name,
                 [response](const HttpRequest&) { return response; });
    if (name == "index.html") {
      pages.Handle("/console/", [response](const HttpRequest&) { return response; });
    }
  }
}

}  // namespace keel::pilot
