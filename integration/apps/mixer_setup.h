// The echo apps' Mixer flags: where Mixer is, who this workload is, and how
// to fail. Without --mixer_address the apps do not use Mixer.
#ifndef KEEL_INTEGRATION_APPS_MIXER_SETUP_H_
#define KEEL_INTEGRATION_APPS_MIXER_SETUP_H_

#include <memory>

#include "absl/status/statusor.h"
#include "libs/mixerclient/interceptors.h"
#include "libs/mixerclient/mixer_client.h"

namespace keel::testing {

// The client --mixer_address asks for (null when it is not set).
absl::StatusOr<std::shared_ptr<mixerclient::MixerClient>> MixerClientFromFlags();
// This workload, from --workload_name, --workload_namespace, --workload_labels,
// --service_host and --principal.
mixerclient::WorkloadInfo WorkloadFromFlags();

}  // namespace keel::testing

#endif  // KEEL_INTEGRATION_APPS_MIXER_SETUP_H_
