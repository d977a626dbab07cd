// ConfigSource: where Galley's config comes from (folders, or a Kubernetes
// API server), read, validated, and handed to the config store as the
// complete valid set, each keeping a resource's last good version while a
// newer one is refused.
#ifndef KEEL_SERVICES_GALLEY_SOURCES_SOURCE_H_
#define KEEL_SERVICES_GALLEY_SOURCES_SOURCE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/mesh/config_store.h"
#include "libs/mesh/diagnostic.h"

namespace keel::galley {

// The outcome of one reload, for logs, metrics and debug pages.
struct LoadReport {
  size_t files = 0;
  size_t resources = 0;                    // valid resources published
  std::vector<mesh::Diagnostic> errors;    // every error, all files
  std::vector<mesh::Diagnostic> warnings;  // every warning (deprecations...): counted apart
  std::vector<mesh::Diagnostic> skipped;   // info notes (kinds Keel does not handle)
  std::map<std::string, size_t> errors_by_kind;
  std::vector<std::string> stale;                // keys serving their last good version
  std::vector<std::string> missing_directories;  // configured folders that are gone
  // Configured folders that held config and now hold no file at all: their
  // last good config is kept (see docs/galley.md).
  std::vector<std::string> emptied_directories;
  bool changed = false;                          // a new snapshot was published
};

class ConfigSource {
 public:
  virtual ~ConfigSource() = default;

  // Load reads everything once and publishes it to the store; it returns
  // once the first complete state is published, or with why it cannot be.
  virtual absl::Status Load() = 0;
  // Watch publishes every later change, on threads of the source's own.
  virtual absl::Status Watch() = 0;
  virtual void Stop() = 0;

  // LastReport returns the outcome of the latest publication.
  virtual LoadReport LastReport() const = 0;
  // Where each published resource came from: key -> file, or API object.
  virtual std::map<std::string, std::string> Origins() const = 0;
  // Counters of the source's own work for /debug/configz (the Kubernetes
  // source's lists, relists after 410 Gone, watches, events...).
  virtual std::map<std::string, uint64_t> Counters() const { return {}; }
};

// CheckAcrossKeepingLastGood is admission's whole-config check (Mixer's
// type checks) over the set a source is about to publish: a refused rule or
// instance is replaced by its version `store` last published, if any (else
// dropped, with its origin); each refusal is an error in `report`, and a
// kept previous version is in its `stale` list.
void CheckAcrossKeepingLastGood(const mesh::ConfigStore& store,
                                std::vector<std::shared_ptr<const mesh::Resource>>& all,
                                LoadReport& report, std::map<std::string, std::string>& origins);

}  // namespace keel::galley

#endif  // KEEL_SERVICES_GALLEY_SOURCES_SOURCE_H_
