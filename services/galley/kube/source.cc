#include "services/galley/kube/source.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/kube/json_spans.h"
#include "libs/kube/list.h"
#include "libs/mesh/admission.h"
#include "spdlog/spdlog.h"

namespace keel::galley::kube {

// One watched type: an Istio kind (its CRD) or a core object of the registry.
struct KubeSource::Type {
  enum class Core { kNone, kService, kEndpointSlice, kEndpoints, kPod, kNode };
  std::string name;  // "virtualservices.networking.istio.io", "services"
  std::string path;  // "/apis/networking.istio.io/v1alpha3/virtualservices"
  const mesh::KindInfo* kind = nullptr;  // an Istio kind, else null
  Core core = Core::kNone;
  keel::kube::StreamCancel cancel;
  bool synced = false;  // listed once (or known absent); guarded by KubeSource::mu_
};

namespace {

using Core = KubeSource::Type::Core;

std::string Key(const ObjectMeta& meta) {
  return meta.namespace_name.empty() ? meta.name : absl::StrCat(meta.namespace_name, "/", meta.name);
}

std::string Scalar(const YAML::Node& map, const char* key) {
  // yaml-cpp throws when a missing member is used: check before reading.
  return map && map.IsMap() && map[key] && map[key].IsScalar() ? map[key].as<std::string>() : "";
}

// Unquote strips a JSON string's quotes (the values read here have no escapes).
std::string Unquote(std::string_view json) {
  if (json.size() >= 2 && json.front() == '"' && json.back() == '"') json = json.substr(1, json.size() - 2);
  return std::string(json);
}

std::string ResourceVersionOf(const YAML::Node& object) {
  return Scalar(object && object.IsMap() ? object["metadata"] : YAML::Node(), "resourceVersion");
}

// Status: the API's error object, as "410 Gone: too old resource version".
std::string StatusText(const YAML::Node& status) {
  return absl::StrCat(Scalar(status, "code"), " ", Scalar(status, "reason"), ": ",
                      Scalar(status, "message"));
}

}  // namespace

KubeSource::KubeSource(KubeSourceOptions options, mesh::ConfigStore* store)
    : options_(std::move(options)), store_(store) {
  for (const mesh::KindInfo& kind : mesh::AllKinds()) {
    auto type = std::make_unique<Type>();
    type->name = absl::StrCat(kind.plural(), ".", kind.group);
    type->path = kind.api_path();
    type->kind = &kind;
    types_.push_back(std::move(type));
  }
  const std::pair<const char*, Core> core[] = {
      {"/api/v1/services", Core::kService},
      {"/apis/discovery.k8s.io/v1/endpointslices", Core::kEndpointSlice},
      {"/api/v1/pods", Core::kPod},
      {"/api/v1/nodes", Core::kNode},
  };
  for (const auto& [path, which] : core) {
    auto type = std::make_unique<Type>();
    type->path = path;
    type->name = std::string(path).substr(std::string(path).rfind('/') + 1);
    type->core = which;
    types_.push_back(std::move(type));
  }
}

KubeSource::~KubeSource() { Stop(); }

absl::Status KubeSource::Load() {
  absl::StatusOr<std::unique_ptr<keel::kube::ApiClient>> client =
      keel::kube::ApiClient::Create(options_.access);
  if (!client.ok()) return client.status();
  client_ = *std::move(client);
  // A cluster older than 1.21 (or with the group turned off) serves no
  // EndpointSlices: read core/v1 Endpoints there, as Istio 1.4 did. Only a
  // definite 404 decides; anything else leaves the watcher to retry.
  absl::StatusOr<keel::kube::ApiResponse> slices =
      client_->Call({.target = "/apis/discovery.k8s.io/v1", .timeout = options_.sync_timeout});
  if (slices.ok() && slices->status == 404) {
    for (auto& type : types_) {
      if (type->core != Core::kEndpointSlice) continue;
      type->core = Core::kEndpoints;
      type->path = "/api/v1/endpoints";
      type->name = "endpoints";
    }
    spdlog::info("kubernetes: {} serves no discovery.k8s.io/v1: reading core/v1 Endpoints",
                 options_.access.server);
  }
  spdlog::info("kubernetes: watching {} types at {} ({})", types_.size(), options_.access.server,
               options_.access.origin);
  // Made before the watchers that signal it; it publishes only once Load
  // has (a publication before every type is listed would be partial).
  debouncer_ = std::make_unique<Debouncer>(options_.debounce, options_.debounce_max, [this](int) {
    if (serving_.load()) Publish();
  });
  for (auto& type : types_) {
    threads_.emplace_back([this, raw = type.get()] { Run(*raw); });
  }
  // The first state is published only once every type is listed: a
  // partial one would tell Pilot that the rest was deleted.
  auto all_synced = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (stopping_) return true;
    for (const auto& type : types_) {
      if (!type->synced) return false;
    }
    return true;
  };
  {
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(&all_synced), options_.sync_timeout)) {
      std::vector<std::string> missing;
      for (const auto& type : types_) {
        if (!type->synced) missing.push_back(type->name);
      }
      return absl::UnavailableError(absl::StrCat(
          "kubernetes: ", options_.access.server, " not listed within ",
          absl::FormatDuration(options_.sync_timeout), ": ", absl::StrJoin(missing, ", "),
          " (see the log for why)"));
    }
  }
  // Set before the first publication reads the state: an event after it
  // publishes again, so none is left unpublished.
  serving_.store(true);
  Publish();
  return absl::OkStatus();
}

void KubeSource::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (auto& type : types_) type->cancel.Cancel();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
  debouncer_.reset();
}

bool KubeSource::Pause(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), delay);
  return !stopping_;
}

void KubeSource::Run(Type& type) {
  absl::Duration backoff = absl::Milliseconds(100);
  auto failed = [&](const std::string& why) {
    {
      absl::MutexLock lock(&mu_);
      ++stats_.failures;
    }
    spdlog::warn("kubernetes: {}: {} (retrying in {})", type.name, why, absl::FormatDuration(backoff));
    const absl::Duration wait = backoff;
    backoff = std::min(backoff * 2, absl::Seconds(30));
    return Pause(wait);
  };
  std::string version;  // empty: list first
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (version.empty()) {
      absl::StatusOr<std::string> listed = List(type);
      if (!listed.ok()) {
        if (listed.status().code() == absl::StatusCode::kCancelled) return;
        if (listed.status().code() == absl::StatusCode::kNotFound) {
          // No CRD for this kind (yet): it holds nothing; look again later.
          {
            absl::MutexLock lock(&mu_);
            if (!type.synced) {
              type.synced = true;
              stats_.absent.push_back(type.name);
            }
          }
          if (!Pause(absl::Seconds(10))) return;
          continue;
        }
        if (!failed(std::string(listed.status().message()))) return;
        continue;
      }
      version = *listed;
      backoff = absl::Milliseconds(100);
    }
    bool gone = false;
    const std::string target = absl::StrCat(
        type.path, "?watch=1&allowWatchBookmarks=true&resourceVersion=", version,
        "&timeoutSeconds=", absl::ToInt64Seconds(options_.watch_timeout));
    {
      absl::MutexLock lock(&mu_);
      ++stats_.watches;
    }
    int http_status = 0;
    absl::Status watched = client_->Stream(
        target,
        [&](std::string_view line) {
          absl::StatusOr<std::map<std::string, std::string_view>> event =
              keel::kube::JsonMembers(line);
          if (!event.ok() || event->count("object") == 0) {
            spdlog::warn("kubernetes: {}: unreadable watch event ({})", type.name,
                         event.ok() ? std::string("no object") : std::string(event.status().message()));
            return true;
          }
          const std::string kind = Unquote((*event)["type"]);
          const std::string_view object_json = (*event)["object"];
          YAML::Node object;
          try {
            object = YAML::Load(std::string(object_json));
          } catch (const YAML::Exception& e) {
            spdlog::warn("kubernetes: {}: unreadable watch event: {}", type.name, e.msg);
            return true;
          }
          if (kind == "ERROR") {
            if (Scalar(object, "code") == "410") {
              gone = true;
            } else {
              spdlog::warn("kubernetes: {}: watch error {}", type.name, StatusText(object));
            }
            return false;
          }
          const std::string object_version = ResourceVersionOf(object);
          if (!object_version.empty()) version = object_version;
          absl::MutexLock lock(&mu_);
          if (kind == "BOOKMARK") {
            ++stats_.bookmarks;
            return true;
          }
          ++stats_.events;
          Apply(type, kind, object, object_json, istio_[type.name], cluster_);
          debouncer_->Event();
          return true;
        },
        type.cancel, options_.watch_timeout + absl::Seconds(60), &http_status);
    if (watched.code() == absl::StatusCode::kCancelled) return;
    if (gone || http_status == 410) {
      spdlog::info("kubernetes: {}: resource version {} is gone: listing again", type.name, version);
      absl::MutexLock lock(&mu_);
      ++stats_.relists;
      version.clear();
      continue;
    }
    if (watched.ok()) {
      // The server answered and ended the watch: resume from `version`,
      // and a later failure starts its backoff afresh.
      backoff = absl::Milliseconds(100);
      continue;
    }
    if (!failed(std::string(watched.message()))) return;
  }
}

absl::StatusOr<std::string> KubeSource::List(Type& type) {
  std::map<std::string, IstioObject> istio;
  ClusterState cluster;
  {
    // The last good versions carry over a list (an object now invalid keeps one).
    absl::MutexLock lock(&mu_);
    if (type.kind != nullptr) istio = istio_[type.name];
  }
  absl::StatusOr<keel::kube::ListedObjects> objects =
      keel::kube::ListAll(*client_, type.path, &type.cancel);
  if (!objects.ok()) return objects.status();
  std::set<std::string> listed;
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& item_json : objects->items) {
      YAML::Node item;
      try {
        item = YAML::Load(item_json);
      } catch (const YAML::Exception& e) {
        spdlog::warn("kubernetes: {}: unreadable item: {}", type.name, e.msg);
        continue;
      }
      listed.insert(Key(ParseMeta(item)));
      Apply(type, "ADDED", item, item_json, istio, cluster);
    }
  }
  absl::MutexLock lock(&mu_);
  if (type.kind != nullptr) {
    // What the list no longer holds was deleted while we were not watching.
    for (auto it = istio.begin(); it != istio.end();) {
      it = listed.count(it->first) > 0 ? std::next(it) : istio.erase(it);
    }
    istio_[type.name] = std::move(istio);
  } else {
    switch (type.core) {
      case Core::kService: cluster_.services = std::move(cluster.services); break;
      case Core::kEndpointSlice: cluster_.endpoint_slices = std::move(cluster.endpoint_slices); break;
      case Core::kEndpoints: cluster_.endpoints = std::move(cluster.endpoints); break;
      case Core::kPod: cluster_.pods = std::move(cluster.pods); break;
      case Core::kNode: cluster_.nodes = std::move(cluster.nodes); break;
      case Core::kNone: break;
    }
  }
  ++stats_.lists;
  stats_.absent.erase(std::remove(stats_.absent.begin(), stats_.absent.end(), type.name),
                      stats_.absent.end());
  type.synced = true;
  debouncer_->Event();
  return objects->resource_version;
}

void KubeSource::Apply(Type& type, const std::string& event, const YAML::Node& object,
                       std::string_view object_json, std::map<std::string, IstioObject>& istio, ClusterState& cluster) {
  const ObjectMeta meta = ParseMeta(object);
  const std::string key = Key(meta);
  const bool deleted = event == "DELETED";
  if (type.kind != nullptr) {
    if (deleted) {
      istio.erase(key);
      return;
    }
    // The object as the API server wrote it, read by admission like a
    // file; its "file" is the object itself (lines mean nothing here).
    const std::string origin = absl::StrCat(type.name, " ", key);
    mesh::CheckedFile checked = mesh::CheckFile({origin, std::string(object_json)});
    IstioObject& slot = istio[key];
    slot.diagnostics.clear();
    for (mesh::Diagnostic& d : checked.diagnostics) {
      d.position.line = 0;
      d.position.column = 0;
      slot.diagnostics.push_back(std::move(d));
    }
    for (size_t i = 0; i < checked.resources.size(); ++i) {
      if (!checked.valid[i]) continue;
      mesh::Resource resource = std::move(checked.resources[i]);
      resource.position.line = 0;
      resource.line_offset = 0;
      if (absl::Status admitted = store_->Admit(resource); !admitted.ok()) {
        slot.diagnostics.push_back(mesh::Diagnostic{.position = resource.position,
                                                    .resource = resource.DisplayName(),
                                                    .message = std::string(admitted.message())});
        continue;
      }
      slot.good = std::make_shared<const mesh::Resource>(std::move(resource));
    }
    return;
  }
  auto update = [&](auto& map, auto parsed) {
    if (deleted) {
      map.erase(key);
    } else if (parsed.ok()) {
      map[key] = *std::move(parsed);
    } else {
      spdlog::warn("kubernetes: {} {}: {}", type.name, key, std::string(parsed.status().message()));
    }
  };
  try {
    switch (type.core) {
      case Core::kService: update(cluster.services, ParseService(object)); break;
      case Core::kEndpointSlice: update(cluster.endpoint_slices, ParseEndpointSlice(object)); break;
      case Core::kEndpoints: update(cluster.endpoints, ParseEndpoints(object)); break;
      case Core::kPod: update(cluster.pods, ParsePod(object)); break;
      case Core::kNode: update(cluster.nodes, ParseNode(object)); break;
      case Core::kNone: break;
    }
  } catch (const YAML::Exception& e) {
    // The API's objects are well formed; one that is not is skipped, loudly.
    spdlog::warn("kubernetes: {} {}: unreadable: {}", type.name, key, e.msg);
  }
}

void KubeSource::Publish() {
  absl::MutexLock publishing(&publish_mu_);
  std::vector<std::shared_ptr<const mesh::Resource>> all;
  LoadReport report;
  std::map<std::string, std::string> origins;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [type_name, objects] : istio_) {
      for (const auto& [key, object] : objects) {
        for (const mesh::Diagnostic& d : object.diagnostics) {
          if (d.level == mesh::Level::kError) {
            report.errors.push_back(d);
            ++report.errors_by_kind[d.resource.substr(0, d.resource.find(' '))];
          } else if (d.level == mesh::Level::kWarning) {
            report.warnings.push_back(d);
          } else {
            report.skipped.push_back(d);
          }
        }
        if (object.good == nullptr) continue;
        if (!object.diagnostics.empty() && mesh::HasErrors(object.diagnostics)) {
          report.stale.push_back(object.good->Key());
        }
        origins[object.good->Key()] = absl::StrCat(type_name, " ", key);
        all.push_back(object.good);
      }
    }
    for (mesh::Resource& entry : BuildRegistry(cluster_, options_.registry)) {
      origins[entry.Key()] = absl::StrCat("services ", entry.annotations[kFromServiceAnnotation]);
      all.push_back(std::make_shared<const mesh::Resource>(std::move(entry)));
    }
  }
  // Mixer's config type-checks across objects.
  CheckAcrossKeepingLastGood(*store_, all, report, origins);
  report.resources = all.size();
  for (const mesh::Diagnostic& d : report.errors) spdlog::error("rejected: {}", d.ToString());
  {
    absl::MutexLock lock(&mu_);
    report_ = report;
    origins_ = std::move(origins);
  }
  mesh::ConfigChange change = store_->Replace(std::move(all));
  absl::MutexLock lock(&mu_);
  report_.changed = !change.empty();
}

LoadReport KubeSource::LastReport() const {
  absl::MutexLock lock(&mu_);
  return report_;
}

std::map<std::string, std::string> KubeSource::Origins() const {
  absl::MutexLock lock(&mu_);
  return origins_;
}

std::map<std::string, uint64_t> KubeSource::Counters() const {
  KubeSourceStats stats = Stats();
  return {{"lists", stats.lists},         {"relists", stats.relists},
          {"watches", stats.watches},     {"events", stats.events},
          {"bookmarks", stats.bookmarks}, {"failures", stats.failures},
          {"absentTypes", stats.absent.size()}};
}

KubeSourceStats KubeSource::Stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace keel::galley::kube
