// Mixer's flags, declared once for the mixer binary and for keel, which
// hosts Mixer too. Addresses stay with each binary.
#ifndef KEEL_SERVICES_MIXER_MIXER_FLAGS_H_
#define KEEL_SERVICES_MIXER_MIXER_FLAGS_H_

#include "absl/status/statusor.h"
#include "services/mixer/mixer_service.h"

namespace keel::mixer {

// MixerOptionsFromFlags reads every Mixer flag, the word list's file
// included (InvalidArgument naming the flag when it cannot be read).
absl::StatusOr<MixerOptions> MixerOptionsFromFlags();

}  // namespace keel::mixer

#endif  // KEEL_SERVICES_MIXER_MIXER_FLAGS_H_
