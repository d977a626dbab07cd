// KubeSource: Galley's config from a Kubernetes API server, as Istio 1.4's
// Galley read it. It lists and watches every Istio kind Keel knows (as the
// chart's CRDs serve them) and the core objects the service registry is made
// of (Services, EndpointSlices or, on a cluster without them, Endpoints,
// Pods, Nodes), and publishes the valid Istio
// resources plus one ServiceEntry per Service (see registry.h).
//
// Each type has a watcher thread: list (paged), then watch from the list's
// resourceVersion with bookmarks; a watch the server ends is resumed from
// the last version seen; 410 Gone (the version was compacted) lists again,
// replacing what the type held, so deletions missed meanwhile take effect;
// other failures back off (100 ms doubling to 30 s). A kind whose CRD is not
// installed holds nothing and is looked for again.
//
// Validation is the file source's: an object that fails its kind's rules
// is an error naming the object ("virtualservices.networking.istio.io
// default/reviews") and its last good version stays served.
#ifndef KEEL_SERVICES_GALLEY_KUBE_SOURCE_H_
#define KEEL_SERVICES_GALLEY_KUBE_SOURCE_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/debounce.h"
#include "libs/kube/access.h"
#include "libs/kube/api_client.h"
#include "libs/mesh/config_store.h"
#include "services/galley/kube/registry.h"
#include "services/galley/sources/source.h"

namespace keel::galley::kube {

struct KubeSourceOptions {
  keel::kube::ClusterAccess access;
  RegistryOptions registry;
  absl::Duration debounce = absl::Milliseconds(100);
  absl::Duration debounce_max = absl::Seconds(10);
  // Load fails when some type has not been listed by then.
  absl::Duration sync_timeout = absl::Seconds(60);
  // A watch asks the server to end it after this long (it is then resumed).
  absl::Duration watch_timeout = absl::Minutes(5);
};

// What the source has done, for /debug/configz and tests.
struct KubeSourceStats {
  uint64_t lists = 0;     // complete lists, every type
  uint64_t relists = 0;   // lists after 410 Gone
  uint64_t watches = 0;   // watch requests started
  uint64_t events = 0;    // watch events applied (bookmarks excluded)
  uint64_t bookmarks = 0;
  uint64_t failures = 0;  // requests that failed and backed off
  std::vector<std::string> absent;  // types the server does not serve (no CRD)
};

class KubeSource : public ConfigSource {
 public:
  KubeSource(KubeSourceOptions options, mesh::ConfigStore* store);
  ~KubeSource() override;

  absl::Status Load() override;
  absl::Status Watch() override { return absl::OkStatus(); }  // Load's watchers keep going
  void Stop() override;
  LoadReport LastReport() const override;
  std::map<std::string, std::string> Origins() const override;
  KubeSourceStats Stats() const;
  std::map<std::string, uint64_t> Counters() const override;

  struct Type;  // one watched type (defined in source.cc)

 private:
  struct IstioObject {
    std::shared_ptr<const mesh::Resource> good;  // last valid version, if any
    std::vector<mesh::Diagnostic> diagnostics;   // of the latest version
  };

  void Run(Type& type);
  // List replaces what `type` holds; returns the list's resourceVersion.
  absl::StatusOr<std::string> List(Type& type);
  // Apply records one object of `type` (event "ADDED", "MODIFIED" or
  // "DELETED"; `object` parsed from `object_json`) into `istio` / `cluster` (guarded by mu_).
  void Apply(Type& type, const std::string& event, const YAML::Node& object,
             std::string_view object_json, std::map<std::string, IstioObject>& istio, ClusterState& cluster)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Publish();
  // Waits `delay` or until Stop; false when stopping.
  bool Pause(absl::Duration delay);

  KubeSourceOptions options_;
  mesh::ConfigStore* store_;
  std::unique_ptr<keel::kube::ApiClient> client_;
  std::vector<std::unique_ptr<Type>> types_;
  std::vector<std::thread> threads_;
  std::unique_ptr<Debouncer> debouncer_;  // made before the watcher threads, reset after them
  std::atomic<bool> serving_{false};      // the first full state is published

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::map<std::string, IstioObject>> istio_ ABSL_GUARDED_BY(mu_);  // by type
  ClusterState cluster_ ABSL_GUARDED_BY(mu_);
  KubeSourceStats stats_ ABSL_GUARDED_BY(mu_);
  LoadReport report_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> origins_ ABSL_GUARDED_BY(mu_);
  absl::Mutex publish_mu_;  // one publication at a time
};

}  // namespace keel::galley::kube

#endif  // KEEL_SERVICES_GALLEY_KUBE_SOURCE_H_
