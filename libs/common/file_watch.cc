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
#include "libs/common/debounce.h"

namespace keel {

FileWatcher::~FileWatcher() { Stop(); }

absl::Status FileWatcher::Start(const std::string& path, absl::Duration debounce,
                                std::function<void()> on_change) {
  on_change_ = std::move(on_change);
  debounce_ = debounce;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (inotify_fd_ < 0 || stop_fd_ < 0) return absl::InternalError("inotify/eventfd unavailable");
  // The whole directory: editors and Kubernetes replace files by renames.
  constexpr uint32_t kEvents =
      IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB;
  if (inotify_add_watch(inotify_fd_, dir.c_str(), kEvents) < 0) {
    return absl::InternalError(
        absl::StrCat("inotify watch on ", dir.string(), ": ", std::strerror(errno)));
  }
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
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
  char buffer[16 * 1024];
  DebounceWindow window(debounce_, debounce_ * 10);
  while (true) {
    int timeout_ms = -1;
    if (window.pending() > 0) {
      timeout_ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(window.Due() - absl::Now()));
    }
    struct pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    const int ready = poll(fds, 2, timeout_ms);
    if (ready < 0 && errno != EINTR) return;
    if (fds[1].revents & POLLIN) return;
    if (fds[0].revents & POLLIN) {
      while (read(inotify_fd_, buffer, sizeof(buffer)) > 0) {
      }
      window.Event(absl::Now());
    }
    if (window.TakeIfDue(absl::Now()) > 0) on_change_();
  }
}

}  // namespace keel
