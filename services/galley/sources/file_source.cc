#include "services/galley/sources/file_source.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "libs/common/debounce.h"
#include "libs/common/stable_hash.h"
#include "libs/mesh/validation/validate.h"
#include "spdlog/spdlog.h"

namespace keel::galley {
namespace {

bool IsConfigFile(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  const std::string name = path.filename().string();
  // Editors' temporary and hidden files are not configuration.
  if (name.empty() || name[0] == '.' || name.back() == '~') return false;
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

std::vector<std::string> ListFiles(const std::vector<std::string>& directories) {
  std::vector<std::string> files;
  for (const std::string& dir : directories) {
    std::error_code error;
    for (auto it = std::filesystem::recursive_directory_iterator(
             dir, std::filesystem::directory_options::follow_directory_symlink, error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
      if (it->is_regular_file() && IsConfigFile(it->path())) files.push_back(it->path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool ReadFile(const std::string& path, std::string& content) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  content = text.str();
  return true;
}

// "VirtualService default/reviews" -> "VirtualService/default/reviews".
std::string KeyOfDisplayName(const std::string& display) {
  const size_t space = display.find(' ');
  if (space == std::string::npos) return "";
  return display.substr(0, space) + "/" + display.substr(space + 1);
}

}  // namespace

FileSource::FileSource(FileSourceOptions options, mesh::ConfigStore* store)
    : options_(std::move(options)), store_(store) {}

FileSource::~FileSource() { Stop(); }

absl::Status FileSource::Load() {
  for (const std::string& dir : options_.directories) {
    std::error_code error;
    if (!std::filesystem::is_directory(dir, error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--config_dir ", dir, ": not a readable directory"));
    }
  }
  Reload();
  return absl::OkStatus();
}

void FileSource::Reload() {
  const std::vector<std::string> paths = ListFiles(options_.directories);
  std::vector<mesh::Resource> all;
  {
    absl::MutexLock lock(&mu_);
    std::map<std::string, FileState> next;
    for (const std::string& path : paths) {
      std::string content;
      if (!ReadFile(path, content)) {
        // Unreadable for now (being replaced?): keep what it gave before.
        if (auto it = files_.find(path); it != files_.end()) next[path] = std::move(it->second);
        continue;
      }
      const uint64_t hash = StableHash().Add(content).value();
      auto previous = files_.find(path);
      if (previous != files_.end() && previous->second.content_hash == hash) {
        next[path] = std::move(previous->second);
        continue;
      }
      FileState state;
      state.content_hash = hash;
      mesh::ParsedFile parsed = mesh::ParseConfigFile(path, content);
      state.diagnostics = std::move(parsed.diagnostics);
      std::set<std::string> rejected_keys;
      bool unattributed_error = false;
      for (const mesh::Diagnostic& d : state.diagnostics) {
        if (d.level != mesh::Level::kError) continue;
        const std::string key = KeyOfDisplayName(d.resource);
        if (key.empty() || key.back() == '/') {
          unattributed_error = true;
        } else {
          rejected_keys.insert(key);
        }
      }
      for (mesh::Resource& resource : parsed.resources) {
        std::vector<mesh::Diagnostic> problems = mesh::ValidateResource(resource);
        const bool invalid = mesh::HasErrors(problems);
        state.diagnostics.insert(state.diagnostics.end(), problems.begin(), problems.end());
        if (invalid) {
          rejected_keys.insert(resource.Key());
        } else {
          state.good.push_back(std::move(resource));
        }
      }
      // Last good versions: a rejected resource, or (when some document could
      // not be read at all) any resource this file gave before, stays.
      if (previous != files_.end()) {
        std::set<std::string> present;
        for (const mesh::Resource& r : state.good) present.insert(r.Key());
        for (const mesh::Resource& old : previous->second.good) {
          if (present.count(old.Key()) > 0) continue;
          if (rejected_keys.count(old.Key()) > 0 || unattributed_error) state.good.push_back(old);
        }
      }
      next[path] = std::move(state);
    }
    files_ = std::move(next);

    // Merge every file's resources; the first file (in path order) defining a
    // key wins, a later duplicate is an error.
    LoadReport report;
    report.files = files_.size();
    std::map<std::string, std::string> origins;
    for (auto& [path, state] : files_) {
      for (const mesh::Diagnostic& d : state.diagnostics) {
        if (d.level == mesh::Level::kInfo) {
          report.skipped.push_back(d);
        } else if (d.level == mesh::Level::kWarning) {
          report.warnings.push_back(d);
        } else {
          report.errors.push_back(d);
          ++report.errors_by_kind[d.resource.empty() ? "unknown"
                                                     : d.resource.substr(0, d.resource.find(' '))];
        }
      }
      for (const mesh::Resource& resource : state.good) {
        auto [it, inserted] = origins.emplace(resource.Key(), path);
        if (!inserted) {
          report.errors.push_back(
              mesh::Diagnostic{.position = resource.position,
                               .resource = resource.DisplayName(),
                               .message = absl::StrCat("duplicate resource: also defined in ",
                                                       it->second, " (that one is used)")});
          ++report.errors_by_kind[resource.kind->kind];
          continue;
        }
        all.push_back(resource);
      }
    }
    for (const mesh::Diagnostic& d : report.errors) {
      const std::string key = KeyOfDisplayName(d.resource);
      if (origins.count(key) > 0 &&
          std::find(report.stale.begin(), report.stale.end(), key) == report.stale.end()) {
        report.stale.push_back(key);
      }
    }
    report.resources = all.size();
    for (const mesh::Diagnostic& d : report.errors) spdlog::error("rejected: {}", d.ToString());
    for (const mesh::Diagnostic& d : report.warnings) spdlog::warn("{}", d.ToString());
    report_ = std::move(report);
    origins_ = std::move(origins);
  }
  // Outside the lock: the store calls its watchers, which read the report.
  mesh::ConfigChange change = store_->Replace(std::move(all));
  absl::MutexLock lock(&mu_);
  report_.changed = !change.empty();
  spdlog::info("loaded {} files: {} resources, {} errors, {} warnings, {} skipped{}", report_.files,
               report_.resources, report_.errors.size(), report_.warnings.size(),
               report_.skipped.size(), report_.changed ? ", published a new snapshot" : "");
}

LoadReport FileSource::LastReport() const {
  absl::MutexLock lock(&mu_);
  return report_;
}

std::map<std::string, std::string> FileSource::Origins() const {
  absl::MutexLock lock(&mu_);
  return origins_;
}

absl::Status FileSource::AddWatches() {
  constexpr uint32_t kEvents = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                               IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB;
  std::set<std::string> known;
  for (const auto& [wd, dir] : watched_dirs_) known.insert(dir);
  for (const std::string& root : options_.directories) {
    std::vector<std::string> dirs = {root};
    std::error_code error;
    for (auto it = std::filesystem::recursive_directory_iterator(
             root, std::filesystem::directory_options::follow_directory_symlink, error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
      if (it->is_directory()) dirs.push_back(it->path().string());
    }
    for (const std::string& dir : dirs) {
      if (known.count(dir) > 0) continue;
      int wd = inotify_add_watch(inotify_fd_, dir.c_str(), kEvents);
      if (wd < 0) {
        return absl::InternalError(
            absl::StrCat("inotify watch on ", dir, ": ", std::strerror(errno)));
      }
      watched_dirs_[wd] = dir;
    }
  }
  return absl::OkStatus();
}

absl::Status FileSource::Watch() {
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (inotify_fd_ < 0 || stop_fd_ < 0) return absl::InternalError("inotify/eventfd unavailable");
  if (absl::Status status = AddWatches(); !status.ok()) return status;
  watcher_ = std::thread([this] { WatchLoop(); });
  return absl::OkStatus();
}

void FileSource::WatchLoop() {
  char buffer[64 * 1024];
  DebounceWindow window(options_.debounce, options_.debounce_max);
  while (true) {
    int timeout_ms = -1;
    if (window.pending() > 0) {
      timeout_ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(window.Due() - absl::Now()));
    }
    struct pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    int ready = poll(fds, 2, timeout_ms);
    if (ready < 0 && errno != EINTR) return;
    if (fds[1].revents & POLLIN) return;
    if (fds[0].revents & POLLIN) {
      while (read(inotify_fd_, buffer, sizeof(buffer)) > 0) {
      }
      window.Event(absl::Now());
    }
    if (window.TakeIfDue(absl::Now()) > 0) {
      (void)AddWatches();  // new subdirectories
      Reload();
    }
  }
}

void FileSource::Stop() {
  if (watcher_.joinable()) {
    uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof(one));
    watcher_.join();
  }
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
  inotify_fd_ = stop_fd_ = -1;
}

}  // namespace keel::galley
