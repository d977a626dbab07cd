// FileSource: Istio configuration from directories of .yaml/.yml/.json
// files, watched with inotify.
//
// Each reload reads every file (re-parsing only those whose content
// changed), validates every resource, and hands the store the complete valid
// set. A resource that is invalid now but was valid before keeps its last
// good version until it is fixed; a document that cannot even be read keeps
// every earlier resource of its file. Nothing valid is dropped because of a
// neighbour's error. Problems are kept per file for /debug/configz.
//
// The folder is read as Kubernetes mounts a ConfigMap: hidden entries (its
// "..data" and timestamped folders) are skipped, the visible symlinks are the
// files. Symlinks are followed once: a loop, a dangling link or an unreadable
// file is an error naming its path (the file keeps its last good resources).
// A configured folder that vanishes keeps the last good config (loudly) and
// is picked up again when it comes back.
#ifndef KEEL_SERVICES_GALLEY_SOURCES_FILE_SOURCE_H_
#define KEEL_SERVICES_GALLEY_SOURCES_FILE_SOURCE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "libs/common/file_watch.h"
#include "absl/time/time.h"
#include "libs/mesh/config_store.h"
#include "libs/mesh/diagnostic.h"
#include "libs/mesh/resource.h"
#include "services/galley/sources/source.h"

namespace keel::galley {

struct FileSourceOptions {
  std::vector<std::string> directories;
  // A reload waits for this long without file events (bursts coalesce).
  // Quiet time after file changes before a reload, and the longest a
  // change may wait while files keep changing.
  absl::Duration debounce = absl::Milliseconds(100);
  absl::Duration debounce_max = absl::Seconds(10);
};

class FileSource : public ConfigSource {
 public:
  FileSource(FileSourceOptions options, mesh::ConfigStore* store);
  ~FileSource() override;

  // Load reads every directory once and publishes. Returns an error only when
  // a directory cannot be read at all.
  absl::Status Load() override;

  // Watch starts reloading on file changes, on a thread of its own.
  absl::Status Watch() override;
  void Stop() override;

  // LastReport returns the outcome of the latest reload.
  LoadReport LastReport() const override;

  // Where each published resource came from: key -> file.
  std::map<std::string, std::string> Origins() const override;

 private:
  struct FileState {
    uint64_t content_hash = 0;
    std::vector<std::shared_ptr<const mesh::Resource>> good;  // valid, in file order
    std::vector<mesh::Diagnostic> diagnostics;                // from the last parse and validation
  };

  // Reload lists, reads and parses without holding mu_ (the debug pages and
  // health checks must not wait behind a large folder), then publishes.
  void Reload();
  // What the watcher watches: every folder of the latest listing, and the
  // configured folders that are missing.
  WatchSet Watched() const;

  FileSourceOptions options_;
  mesh::ConfigStore* store_;

  // Owned by the thread that reloads: the caller of Load() until Watch(),
  // then the watch thread.
  std::map<std::string, FileState> files_;
  std::vector<std::string> listed_dirs_;    // from the latest listing
  std::vector<std::string> missing_roots_;  // configured folders that are gone

  mutable absl::Mutex mu_;
  LoadReport report_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> origins_ ABSL_GUARDED_BY(mu_);

  FileWatcher watcher_;
};

}  // namespace keel::galley

#endif  // KEEL_SERVICES_GALLEY_SOURCES_FILE_SOURCE_H_
