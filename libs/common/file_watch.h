// FileWatcher calls back (debounced) when a file changes: written in place,
// replaced by a rename, or swapped the way Kubernetes updates a mounted
// ConfigMap (a symlink in its directory). It watches the file's directory
// with inotify, on a thread of its own.
#ifndef KEEL_LIBS_COMMON_FILE_WATCH_H_
#define KEEL_LIBS_COMMON_FILE_WATCH_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace keel {

class FileWatcher {
 public:
  FileWatcher() = default;
  ~FileWatcher();  // stops
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // Start watches `path`; `on_change` runs on the watcher's thread once
  // changes have been quiet for `debounce`.
  absl::Status Start(const std::string& path, absl::Duration debounce,
                     std::function<void()> on_change);
  void Stop();

 private:
  void Loop();

  std::function<void()> on_change_;
  absl::Duration debounce_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;
  std::thread thread_;
};

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_FILE_WATCH_H_
