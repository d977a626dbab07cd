// FileWatcher calls back (debounced) when files change: written in place,
// replaced by a rename, or swapped the way Kubernetes updates a mounted
// ConfigMap (a symlink in its directory). It watches folders with inotify,
// on a thread of its own: one file's folder (Pilot's mesh config), or a set
// of folders that changes as they are read (Galley's config folders). A lone
// change whose files are complete (closed after writing, renamed into
// place, removed) is reported at once; one that may be half written, and
// bursts, wait out the debounce (libs/common/debounce.h).
#ifndef KEEL_LIBS_COMMON_FILE_WATCH_H_
#define KEEL_LIBS_COMMON_FILE_WATCH_H_

#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace keel {

// What to watch: folders, and folders that do not exist (yet), which cannot
// be watched and are looked for every half second until one appears.
struct WatchSet {
  std::vector<std::string> folders;
  std::vector<std::string> awaited;
};

class FileWatcher {
 public:
  FileWatcher() = default;
  ~FileWatcher();  // stops
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // Start watches the file `path` (its folder: editors and Kubernetes
  // replace files by renames); `on_change` runs on the watcher's thread once
  // changes have been quiet for `debounce`.
  absl::Status Start(const std::string& path, absl::Duration debounce,
                     std::function<void()> on_change);

  // StartFolders watches `initial`; `on_change` runs on the watcher's thread
  // once changes have been quiet for `debounce` (at most `debounce_max`
  // after the first) and returns what to watch from then on. A folder
  // watched for the first time makes on_change run once more, for what was
  // written there before its watch began. A folder that cannot be watched
  // is logged and skipped.
  absl::Status StartFolders(WatchSet initial, absl::Duration debounce,
                            absl::Duration debounce_max, std::function<WatchSet()> on_change);
  void Stop();

 private:
  void Loop();
  // AddWatches returns true when a folder not watched before was added.
  bool AddWatches(const std::vector<std::string>& folders);

  std::function<WatchSet()> on_change_;
  absl::Duration debounce_;
  absl::Duration debounce_max_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;
  bool require_watched_ = false;  // Start: the file's folder must be watched
  // Owned by the watcher's thread once started.
  WatchSet watching_;
  std::map<int, std::string> watched_;  // watch descriptor -> folder
  std::thread thread_;
};

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_FILE_WATCH_H_
