// The generator table: every part of the xDS config Pilot generates, in one
// place. A row names the part, its xDS type, the config kinds it reads and
// the function that makes it. Pushes, the ADS source (which types Pilot
// serves), keelctl diff and the dependency index behind incremental pushes
// (Istio's ConfigKey -> push scope) are all driven from it: a new generator
// is one row, and a kind its row leaves out fails table_test.
//
// A push regenerates only the rows a change touches and reuses the rest as
// they were (an unchanged part keeps its versions, so no stream is sent it
// again). A WorkloadEntry change regenerates endpoints and the inbound
// listeners of xDS-enabled servers, never clusters or routes (Istio
// #20100); a VirtualService change, routes and outbound listeners.
#ifndef KEEL_SERVICES_PILOT_GENERATORS_TABLE_H_
#define KEEL_SERVICES_PILOT_GENERATORS_TABLE_H_

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "libs/mesh/config_intake.h"
#include "libs/mesh/schema.h"
#include "libs/xds/resources.h"
#include "services/pilot/generators/generators.h"
#include "services/pilot/push/push_context.h"

namespace keel::pilot {

using mesh::ConfigKey;

// A part's generator: every resource of the part `proxy` may see. `cache`
// (may be null) is the part's own, kept between pushes of the unscoped view.
using PartGenerator = std::shared_ptr<const xds::TypeResources> (*)(const PushContext& context,
                                                                    const Proxy& proxy,
                                                                    PartCache* cache);

struct GeneratorRow {
  const char* name;      // "LDS outbound": logs, and the generations metric's label
  const char* type_url;  // the xDS type the part belongs to
  // The kinds the part reads, through the PushContext. A change to any other
  // kind leaves the part as it was.
  std::vector<const mesh::KindInfo*> reads;
  // The kinds whose changes the part's cache absorbs (it rebuilds only what
  // they changed); a change to another kind it reads clears the cache.
  std::vector<const mesh::KindInfo*> cache_absorbs;
  PartGenerator generate;

  bool Reads(std::string_view kind) const;
  // CacheSurvives reports whether `changes` leave the part's cache valid.
  bool CacheSurvives(const std::set<ConfigKey>& changes) const;
};

// GeneratorTable returns the rows, in a stable order.
const std::vector<GeneratorRow>& GeneratorTable();

// GeneratedTypes returns the xDS types the rows make, each once, in table order.
const std::vector<std::string>& GeneratedTypes();
bool Generates(std::string_view type_url);

// GenerateType makes every resource of `type_url` that `proxy` may see: its
// rows' parts, merged. Null for a type no row makes.
std::shared_ptr<const xds::TypeResources> GenerateType(std::string_view type_url,
                                                       const PushContext& context,
                                                       const Proxy& proxy = {});

// RowsAffectedBy returns the rows that read any of the changed configs'
// kinds. Kinds no generator reads (Gateway, Mixer's) affect none.
std::set<const GeneratorRow*> RowsAffectedBy(const std::set<ConfigKey>& changes);

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_GENERATORS_TABLE_H_
