#include "services/galley/galley_service.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace keel::galley {

absl::Status GalleyService::Start(ServiceContext& context) {
  for (const std::string& dir : options_.config_dirs) {
    std::error_code error;
    if (!std::filesystem::is_directory(dir, error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--config_dir ", dir, ": not a readable directory"));
    }
    size_t files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, error)) {
      const std::string ext = entry.path().extension().string();
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) ++files;
    }
    spdlog::info("config directory {}: {} configuration files", dir, files);
  }
  context.readiness.SetReady();
  return absl::OkStatus();
}

}  // namespace keel::galley
