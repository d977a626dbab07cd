#include "services/galley/sources/file_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "libs/common/stable_hash.h"
#include "libs/mesh/admission.h"
#include "spdlog/spdlog.h"

namespace keel::galley {
namespace {

bool IsHidden(const std::string& name) { return name.empty() || name[0] == '.'; }

bool IsConfigFile(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  const std::string name = path.filename().string();
  // Editors' temporary and hidden files are not configuration.
  if (IsHidden(name) || name.back() == '~') return false;
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

mesh::Diagnostic FileError(const std::string& path, std::string message) {
  return mesh::Diagnostic{.position = {path, 0, 0}, .message = std::move(message)};
}

// What a walk of the configured folders found.
struct Listing {
  std::vector<std::string> files;          // config files that resolve to regular files, sorted
  std::vector<std::string> directories;    // every folder walked (to watch)
  std::vector<std::string> missing_roots;  // configured folders that are not there
  std::map<std::string, mesh::Diagnostic> problems;  // path -> why it cannot be read
};

class Lister {
 public:
  Listing List(const std::vector<std::string>& roots) {
    for (const std::string& root : roots) {
      struct stat info;
      if (stat(root.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
        listing_.missing_roots.push_back(root);
        continue;
      }
      Walk(root, info);
    }
    std::sort(listing_.files.begin(), listing_.files.end());
    return std::move(listing_);
  }

 private:
  void Walk(const std::string& dir, const struct stat& info) {
    if (!visited_.insert({info.st_dev, info.st_ino}).second) return;
    listing_.directories.push_back(dir);
    std::error_code error;
    std::filesystem::directory_iterator it(dir, error);
    if (error) {
      listing_.problems[dir] = FileError(dir, "cannot read folder: " + error.message());
      return;
    }
    std::vector<std::filesystem::path> entries;
    for (; !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
      entries.push_back(it->path());
    }
    std::sort(entries.begin(), entries.end());
    for (const std::filesystem::path& entry : entries) {
      const std::string path = entry.string();
      // Kubernetes' ConfigMap layout: "..data" and "..2024_01_01_..." hold
      // the real files, the visible names link into them.
      if (IsHidden(entry.filename().string())) continue;
      struct stat target;
      if (stat(path.c_str(), &target) != 0) {
        const int cause = errno;
        struct stat link;
        const bool is_link = lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode);
        if (!is_link && !IsConfigFile(entry)) continue;
        if (is_link && !IsConfigFile(entry) && cause == ENOENT) continue;  // not ours
        listing_.problems[path] = FileError(
            path, cause == ELOOP    ? "symlink loop: the link resolves back to itself"
                  : cause == ENOENT ? "dangling symlink: its target does not exist"
                                    : absl::StrCat("cannot read: ", std::strerror(cause)));
        continue;
      }
      if (S_ISDIR(target.st_mode)) {
        if (visited_.count({target.st_dev, target.st_ino}) > 0) {
          listing_.problems[path] =
              FileError(path, "symlink loop: this folder is already being read (skipped)");
          continue;
        }
        Walk(path, target);
      } else if (S_ISREG(target.st_mode) && IsConfigFile(entry)) {
        listing_.files.push_back(path);
      }
    }
  }

  Listing listing_;
  std::set<std::pair<dev_t, ino_t>> visited_;
};

// ReadFile returns "" on success, else why the file cannot be read.
std::string ReadFile(const std::string& path, std::string& content) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::StrCat("cannot read: ", std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::StrCat("cannot read: ", std::strerror(errno));
  content = text.str();
  return "";
}

bool UnderAny(const std::string& path, const std::vector<std::string>& roots) {
  for (const std::string& root : roots) {
    if (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
        (root.back() == '/' || path[root.size()] == '/')) {
      return true;
    }
  }
  return false;
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
  Listing listing = Lister().List(options_.directories);
  listed_dirs_ = listing.directories;
  missing_roots_ = listing.missing_roots;
  std::map<std::string, FileState> next;
  // A folder that held config and now holds no file at all keeps it, as a
  // vanished one does: what operators do empties a folder by accident
  // (mv c c.away; mkdir c, rm -rf + copy in flight, rsync --delete from an
  // empty tree), while removing config on purpose leaves a file behind
  // (any .yaml, even empty) or removes the files that name it.
  std::vector<std::string> emptied_roots;
  for (const std::string& root : options_.directories) {
    if (std::find(listing.missing_roots.begin(), listing.missing_roots.end(), root) !=
        listing.missing_roots.end()) {
      continue;
    }
    const std::vector<std::string> one = {root};
    const bool has_files =
        std::any_of(listing.files.begin(), listing.files.end(),
                    [&](const std::string& file) { return UnderAny(file, one); }) ||
        std::any_of(listing.problems.begin(), listing.problems.end(),
                    [&](const auto& problem) { return UnderAny(problem.first, one); });
    const bool held_config = std::any_of(files_.begin(), files_.end(), [&](const auto& file) {
      return UnderAny(file.first, one) && !file.second.good.empty();
    });
    if (!has_files && held_config) emptied_roots.push_back(root);
  }
  for (auto& [path, state] : files_) {
    if (UnderAny(path, listing.missing_roots) || UnderAny(path, emptied_roots)) {
      next[path] = std::move(state);
    }
  }
  // A file that cannot be read is an error, and what it gave before stays.
  auto keep_with_error = [&](const std::string& path, mesh::Diagnostic problem) {
    FileState state;
    if (auto it = files_.find(path); it != files_.end()) state.good = std::move(it->second.good);
    state.diagnostics.push_back(std::move(problem));
    next[path] = std::move(state);
  };
  for (auto& [path, problem] : listing.problems) keep_with_error(path, problem);
  for (const std::string& path : listing.files) {
    std::string content;
    if (std::string problem = ReadFile(path, content); !problem.empty()) {
      keep_with_error(path, FileError(path, std::move(problem)));
      continue;
    }
    const uint64_t hash = StableHash().Add(content).value();
    auto previous = files_.find(path);
    if (previous != files_.end() && previous->second.content_hash == hash &&
        previous->second.content_hash != 0) {
      next[path] = std::move(previous->second);
      continue;
    }
    FileState state;
    state.content_hash = hash;
    // Admission's per-file half: parsed, and each resource validated (the
    // cross-file half, Mixer's type-check, runs on the merged config below).
    mesh::CheckedFile parsed = mesh::CheckFile({path, content});
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
    for (size_t i = 0; i < parsed.resources.size(); ++i) {
      mesh::Resource& resource = parsed.resources[i];
      bool invalid = !parsed.valid[i];
      if (!invalid) {
        // What the store itself can hold (etcd's request size).
        if (absl::Status admitted = store_->Admit(resource); !admitted.ok()) {
          state.diagnostics.push_back(mesh::Diagnostic{.position = resource.position,
                                                       .resource = resource.DisplayName(),
                                                       .message = std::string(admitted.message())});
          invalid = true;
        }
      }
      if (invalid) {
        rejected_keys.insert(resource.Key());
      } else {
        state.good.push_back(std::make_shared<const mesh::Resource>(std::move(resource)));
      }
    }
    // Last good versions: a rejected resource, or (when some document could
    // not be read at all) any resource this file gave before, stays.
    if (previous != files_.end()) {
      std::set<std::string> present;
      for (const auto& r : state.good) present.insert(r->Key());
      for (const auto& old : previous->second.good) {
        if (present.count(old->Key()) > 0) continue;
        if (rejected_keys.count(old->Key()) > 0 || unattributed_error) state.good.push_back(old);
      }
    }
    next[path] = std::move(state);
  }
  files_ = std::move(next);

  // Merge every file's resources; the first file (in path order) defining a
  // key wins, a later duplicate is an error.
  std::vector<std::shared_ptr<const mesh::Resource>> all;
  LoadReport report;
  report.files = listing.files.size();
  report.missing_directories = listing.missing_roots;
  report.emptied_directories = emptied_roots;
  for (const std::string& root : listing.missing_roots) {
    report.errors.push_back(FileError(
        root, "configured folder is gone: serving its last good config until it is back"));
    ++report.errors_by_kind["unknown"];
  }
  for (const std::string& root : emptied_roots) {
    size_t resources = 0;
    for (const auto& [path, state] : files_) {
      if (UnderAny(path, {root})) resources += state.good.size();
    }
    mesh::Diagnostic emptied = FileError(
        root, absl::StrCat("configured folder is empty: serving the ", resources,
                           " resources it held until files are back (to remove them on purpose, "
                           "leave a file in it, e.g. an empty .yaml)"));
    emptied.level = mesh::Level::kWarning;
    report.warnings.push_back(std::move(emptied));
  }
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
    for (const std::shared_ptr<const mesh::Resource>& shared : state.good) {
      const mesh::Resource& resource = *shared;
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
      all.push_back(shared);  // shared, not copied: unchanged files cost a pointer
    }
  }
  // Mixer config type-checks across files (its attribute manifests may be
  // anywhere).
  CheckAcrossKeepingLastGood(*store_, all, report, origins);
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
  {
    absl::MutexLock lock(&mu_);
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

WatchSet FileSource::Watched() const {
  return WatchSet{.folders = listed_dirs_, .awaited = missing_roots_};
}

absl::Status FileSource::Watch() {
  return watcher_.StartFolders(Watched(), options_.debounce, options_.debounce_max, [this] {
    Reload();
    return Watched();
  });
}

void FileSource::Stop() { watcher_.Stop(); }

}  // namespace keel::galley
