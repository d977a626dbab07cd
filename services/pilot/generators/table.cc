#include "services/pilot/generators/table.h"

#include <algorithm>

namespace keel::pilot {
namespace {

namespace kinds = mesh::kinds;

// The table's kind columns read as handles: a misspelt kind does not compile.
template <typename... Kinds>
std::vector<const mesh::KindInfo*> Of(const Kinds&... handles) {
  return {&handles.info()...};
}

// Generators without a cache, in the table's signature.
template <std::shared_ptr<const xds::TypeResources> (*Generate)(const PushContext&, const Proxy&)>
std::shared_ptr<const xds::TypeResources> Uncached(const PushContext& context, const Proxy& proxy,
                                                   PartCache*) {
  return Generate(context, proxy);
}

std::vector<GeneratorRow> BuildTable() {
  // Every part reads ServiceEntry (the services), Sidecar (what a proxy
  // sees) and, but for endpoints, EnvoyFilter (patches).
  return {
      {.name = "LDS outbound",  // API listeners for clients, one per service port
       .type_url = kListenerType,
       .reads = Of(kinds::ServiceEntry, kinds::Sidecar, kinds::EnvoyFilter, kinds::VirtualService),
       .generate = Uncached<GenerateOutboundListeners>},
      {.name = "LDS inbound",  // one listener per endpoint, for xDS-enabled servers
       .type_url = kListenerType,
       .reads = Of(kinds::ServiceEntry, kinds::Sidecar, kinds::EnvoyFilter, kinds::WorkloadEntry,
                   kinds::AuthorizationPolicy, kinds::PeerAuthentication, kinds::Policy,
                   kinds::MeshPolicy, kinds::ServiceRole, kinds::ServiceRoleBinding,
                   kinds::ClusterRbacConfig, kinds::RbacConfig),
       // Its cache is keyed by all a listener reads of the registry.
       .cache_absorbs = Of(kinds::WorkloadEntry, kinds::ServiceEntry),
       .generate = GenerateInboundListeners},
      {.name = "RDS",
       .type_url = kRouteType,
       .reads = Of(kinds::ServiceEntry, kinds::Sidecar, kinds::EnvoyFilter, kinds::VirtualService,
                   kinds::DestinationRule),
       .generate = Uncached<GenerateRoutes>},
      {.name = "CDS",
       .type_url = kClusterType,
       .reads = Of(kinds::ServiceEntry, kinds::Sidecar, kinds::EnvoyFilter,
                   kinds::DestinationRule),
       .generate = Uncached<GenerateClusters>},
      {.name = "EDS",
       .type_url = kEndpointType,
       .reads = Of(kinds::ServiceEntry, kinds::Sidecar, kinds::WorkloadEntry,
                   kinds::DestinationRule),
       .generate = Uncached<GenerateEndpoints>},
  };
}

bool Contains(const std::vector<const mesh::KindInfo*>& kinds, std::string_view kind) {
  return std::any_of(kinds.begin(), kinds.end(),
                     [&](const mesh::KindInfo* info) { return info->kind == kind; });
}

}  // namespace

bool GeneratorRow::Reads(std::string_view kind) const { return Contains(reads, kind); }

bool GeneratorRow::CacheSurvives(const std::set<ConfigKey>& changes) const {
  return std::none_of(changes.begin(), changes.end(), [this](const ConfigKey& key) {
    return Reads(key.kind) && !Contains(cache_absorbs, key.kind);
  });
}

const std::vector<GeneratorRow>& GeneratorTable() {
  static const auto* const kTable = new std::vector<GeneratorRow>(BuildTable());
  return *kTable;
}

const std::vector<std::string>& GeneratedTypes() {
  static const auto* const kTypes = [] {
    auto* types = new std::vector<std::string>;
    for (const GeneratorRow& row : GeneratorTable()) {
      if (std::find(types->begin(), types->end(), row.type_url) == types->end()) {
        types->push_back(row.type_url);
      }
    }
    return types;
  }();
  return *kTypes;
}

bool Generates(std::string_view type_url) {
  const std::vector<std::string>& types = GeneratedTypes();
  return std::find(types.begin(), types.end(), type_url) != types.end();
}

std::shared_ptr<const xds::TypeResources> GenerateType(std::string_view type_url,
                                                       const PushContext& context,
                                                       const Proxy& proxy) {
  std::vector<std::shared_ptr<const xds::TypeResources>> parts;
  for (const GeneratorRow& row : GeneratorTable()) {
    if (row.type_url == type_url) parts.push_back(row.generate(context, proxy, nullptr));
  }
  if (parts.empty()) return nullptr;
  if (parts.size() == 1) return parts.front();
  std::vector<const xds::TypeResources*> views;
  for (const auto& part : parts) views.push_back(part.get());
  return MergeTypeResources(views);
}

std::set<const GeneratorRow*> RowsAffectedBy(const std::set<ConfigKey>& changes) {
  std::set<const GeneratorRow*> rows;
  for (const GeneratorRow& row : GeneratorTable()) {
    for (const ConfigKey& key : changes) {
      if (row.Reads(key.kind)) rows.insert(&row);
    }
  }
  return rows;
}

}  // namespace keel::pilot
