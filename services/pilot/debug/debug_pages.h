// Pilot's debug pages and web console: what keelctl (describe, diff, get
// --proxy) and the console read. Each page reads Pilot's state through
// PilotState; none changes it.
#ifndef KEEL_SERVICES_PILOT_DEBUG_DEBUG_PAGES_H_
#define KEEL_SERVICES_PILOT_DEBUG_DEBUG_PAGES_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "libs/common/service_host.h"
#include "libs/mesh/config_intake.h"
#include "libs/mesh/mesh_config.h"
#include "libs/xds/ads_server.h"
#include "libs/xds/config_feed.h"
#include "proto/keel/galley/config.pb.h"
#include "services/pilot/push/push_context.h"
#include "services/pilot/serve/pilot_source.h"

namespace keel::pilot {

// Where a resource's versions come from (keelctl history's answer).
using ConfigHistory = std::function<absl::StatusOr<keel::galley::v1::HistoryResponse>(
    const keel::galley::v1::ResourceRef&)>;

// What the pages read; every pointer outlives the pages' server.
struct PilotState {
  const xds::AdsServer* ads_server = nullptr;
  PilotSource* source = nullptr;  // read only (its lookups cache scoped views)
  const mesh::ConfigIntake* config = nullptr;
  const xds::ConfigFeed* galley = nullptr;
  // The options a push builds its context with (cluster domain, mesh config).
  std::function<PushOptions()> push_options;
  ConfigHistory config_history;     // may be empty: /debug/history answers 404
  std::string prometheus_address;   // "" : /debug/rates lists nothing
  std::string citadel_debug_address;  // "" : no /debug/citadel/certz relay
};

// RegisterDebugPages adds /debug/syncz (and adsz), configz, meshz,
// config_dump, diff, describe, history, rates, graph, citadel/certz (with a
// Citadel address) and the console under /console.
void RegisterDebugPages(PilotState state, DebugPages& pages);

// GalleyHistoryClient asks Galley's config API at `address` (keelctl
// history's call); null credentials: plaintext.
ConfigHistory GalleyHistoryClient(const std::string& address,
                                  std::shared_ptr<grpc::ChannelCredentials> credentials);

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_DEBUG_DEBUG_PAGES_H_
