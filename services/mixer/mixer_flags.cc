#include "services/mixer/mixer_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, global_dictionary, "",
          "A global word list for compressed attributes (a mixer/v1/global_dictionary.yaml) "
          "other than Istio 1.4's, which is built in and used when this is empty.");
ABSL_FLAG(std::string, config_namespace, "istio-system",
          "Mixer rules in this namespace apply to every request.");

namespace keel::mixer {

absl::StatusOr<MixerOptions> MixerOptionsFromFlags() {
  MixerOptions options;
  options.config_namespace = absl::GetFlag(FLAGS_config_namespace);
  // The word list is read before anything serves: Checks may arrive as
  // soon as the gRPC server starts.
  if (const std::string path = absl::GetFlag(FLAGS_global_dictionary); !path.empty()) {
    absl::StatusOr<GlobalDictionary> read = GlobalDictionary::FromFile(path);
    if (!read.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--global_dictionary: ", read.status().message()));
    }
    options.global_dictionary = std::make_shared<const GlobalDictionary>(*std::move(read));
  }
  return options;
}

}  // namespace keel::mixer
