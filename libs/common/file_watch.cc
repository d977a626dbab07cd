#include "libs/common/file_watch.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/debounce.h"
#include "spdlog/spdlog.h"

namespace keel {
namespace {

// How often folders awaited are looked for.
constexpr int kAwaitedPollMs = 500;

}  // namespace

FileWatcher::~FileWatcher() { Stop(); }

absl::Status FileWatcher::Start(const std::string& path, absl::Duration debounce,
                                std::function<void()> on_change) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const WatchSet folder{.folders = {dir.string()}};
  // One file's folder must be watched, or the file's changes would be lost.
  require_watched_ = true;
  return StartFolders(folder, debounce, debounce * 10, [folder, on_change = std::move(on_change)] {
    on_change();
    return folder;
  });
}

absl::Status FileWatcher::StartFolders(WatchSet initial, absl::Duration debounce,
                                       absl::Duration debounce_max,
                                       std::function<WatchSet()> on_change) {
  on_change_ = std::move(on_change);
  debounce_ = debounce;
  debounce_max_ = debounce_max;
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (inotify_fd_ < 0 || stop_fd_ < 0) return absl::InternalError("inotify/eventfd unavailable");
  watching_ = std::move(initial);
  AddWatches(watching_.folders);
  if (require_watched_ && watched_.size() < watching_.folders.size()) {
    const std::string folders = absl::StrJoin(watching_.folders, ", ");
    Stop();
    return absl::InternalError(absl::StrCat("inotify watch on ", folders, " failed"));
  }
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

bool FileWatcher::AddWatches(const std::vector<std::string>& folders) {
  constexpr uint32_t kEvents = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                               IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB;
  bool added = false;
  for (const std::string& folder : folders) {
    // Adding a watch again is harmless: the kernel returns the inode's
    // existing descriptor (and a recreated folder gets a new one).
    const int wd = inotify_add_watch(inotify_fd_, folder.c_str(), kEvents);
    if (wd < 0) {
      spdlog::error("cannot watch {}: {}", folder, std::strerror(errno));
      continue;
    }
    added |= watched_.count(wd) == 0;
    watched_[wd] = folder;
  }
  return added;
}

void FileWatcher::Stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof(one));
    thread_.join();
  }
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
  inotify_fd_ = stop_fd_ = -1;
}

void FileWatcher::Loop() {
  alignas(struct inotify_event) char buffer[64 * 1024];
  DebounceWindow window(debounce_, debounce_max_);
  while (true) {
    int timeout_ms = watching_.awaited.empty() ? -1 : kAwaitedPollMs;
    if (window.pending() > 0) {
      timeout_ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(window.Due() - absl::Now()));
    }
    struct pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    const int ready = poll(fds, 2, timeout_ms);
    if (ready < 0 && errno != EINTR) return;
    if (fds[1].revents & POLLIN) return;
    if (fds[0].revents & POLLIN) {
      // Each name's last event: the change may lead (react at once) only
      // when every file touched is complete (closed after writing, renamed
      // into place, removed), never while one may be half written.
      std::map<std::pair<int, std::string>, uint32_t> last_event;
      ssize_t length;
      while ((length = read(inotify_fd_, buffer, sizeof(buffer))) > 0) {
        for (ssize_t offset = 0; offset < length;) {
          const auto* event = reinterpret_cast<const struct inotify_event*>(buffer + offset);
          if (event->mask & IN_IGNORED) watched_.erase(event->wd);  // its folder is gone
          last_event[{event->wd, event->len > 0 ? std::string(event->name) : std::string()}] =
              event->mask;
          offset += static_cast<ssize_t>(sizeof(struct inotify_event)) + event->len;
        }
      }
      constexpr uint32_t kComplete = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                     IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED;
      const bool complete = std::all_of(last_event.begin(), last_event.end(), [](const auto& e) {
        return (e.second & kComplete) != 0 || ((e.second & IN_CREATE) && (e.second & IN_ISDIR));
      });
      window.Event(absl::Now(), /*may_lead=*/complete);
    } else if (ready == 0 && !watching_.awaited.empty() && window.pending() == 0) {
      const bool appeared =
          std::any_of(watching_.awaited.begin(), watching_.awaited.end(), [](const auto& folder) {
            std::error_code error;
            return std::filesystem::is_directory(folder, error);
          });
      if (appeared) window.Event(absl::Now());
    }
    if (window.TakeIfDue(absl::Now()) > 0) {
      watching_ = on_change_();
      // A new (or recreated) folder is watched only from now: once more,
      // for what was written there before the watch.
      if (AddWatches(watching_.folders)) window.Event(absl::Now());
    }
  }
}

}  // namespace keel
