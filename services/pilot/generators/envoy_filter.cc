#include "services/pilot/generators/envoy_filter.h"

#include <arpa/inet.h>

#include <cstdlib>

#include "absl/strings/match.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "google/protobuf/util/json_util.h"
#include "libs/mesh/envoy_types.h"
#include "spdlog/spdlog.h"

namespace keel::pilot {

namespace hcm = envoy::extensions::filters::network::http_connection_manager::v3;
using EF = net::EnvoyFilter;

namespace {

// Converts a patch value (Struct) into `out`; false (and a log) if it does not fit.
bool FromValue(const google::protobuf::Struct& value, google::protobuf::Message& out,
               const std::string& filter) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(value, &json).ok()) return false;
  // Through the wire form, so a typed_config of an Envoy extension Keel has
  // no C++ for is carried as it is (an Any of the right type and bytes).
  absl::StatusOr<std::string> binary =
      mesh::EnvoyJsonToBinary(out.GetDescriptor()->full_name(), json);
  if (!binary.ok() || !out.ParseFromString(*binary)) {
    spdlog::warn("EnvoyFilter {}: patch value is not a {}: {}", filter,
                 out.GetDescriptor()->full_name(),
                 binary.ok() ? "unparseable" : std::string(binary.status().message()));
    return false;
  }
  return true;
}

// Whether a filter of `resource`'s namespace with `selector` applies at
// `target`. With labels: the matching workloads of its namespace, which
// Keel can identify only inbound. Without: every workload of its namespace,
// or of the mesh when it is in the root namespace (Istio 1.4's rule).
bool AppliesTo(const PushContext& context, const mesh::Resource& resource,
               const google::protobuf::Map<std::string, std::string>& selector,
               const PatchTarget& target) {
  if (selector.empty()) {
    return resource.namespace_name == context.root_namespace() ||
           resource.namespace_name == target.workload_namespace;
  }
  if (target.workload_labels == nullptr || resource.namespace_name != target.workload_namespace) {
    return false;
  }
  return LabelsMatch(std::map<std::string, std::string>(selector.begin(), selector.end()),
                     *target.workload_labels);
}

bool ContextMatches(EF::PatchContext context, bool inbound) {
  return context == EF::ANY || (inbound && context == EF::SIDECAR_INBOUND) ||
         (!inbound && context == EF::SIDECAR_OUTBOUND);
}

// The patches that apply to a proxy at `target`, in the order Istio applies
// them (resources sorted by namespace/name, patches in their order).
template <typename Fn>
void ForEachPatch(const PushContext& context, const PatchTarget& target, EF::ApplyTo apply_to,
                  Fn fn) {
  for (const auto& [resource, filter] : context.envoy_filters()) {
    if (!AppliesTo(context, *resource, filter->workload_selector().labels(), target)) continue;
    for (const auto& patch : filter->config_patches()) {
      if (patch.apply_to() != apply_to) continue;
      if (patch.has_match()) {
        if (!ContextMatches(patch.match().context(), target.inbound)) continue;
        if (patch.match().has_listener() && patch.match().listener().port_number() != 0 &&
            patch.match().listener().port_number() != target.port) {
          continue;
        }
      }
      fn(resource->namespace_name + "/" + resource->name, patch);
    }
  }
}

// Whether `entry` (an IP or a CIDR block) holds `address`.
bool AddressMatches(const std::string& entry, const std::string& address) {
  const size_t slash = entry.find('/');
  if (slash == std::string::npos) return entry == address;
  unsigned char net[16], ip[16];
  const std::string base = entry.substr(0, slash);
  const int family = base.find(':') == std::string::npos ? AF_INET : AF_INET6;
  if (inet_pton(family, base.c_str(), net) != 1 || inet_pton(family, address.c_str(), ip) != 1) {
    return false;
  }
  int bits = std::atoi(entry.c_str() + slash + 1);
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((net[i] & mask) != (ip[i] & mask)) return false;
  }
  return true;
}

// Istio 1.4's listenerMatch of the deprecated form, on Keel's listeners
// (all HTTP; no gateways).
bool DeprecatedListenerMatches(const EF::DeprecatedListenerMatch& match,
                               const PatchTarget& target) {
  using Match = EF::DeprecatedListenerMatch;
  if (match.listener_type() == Match::GATEWAY) return false;
  if (match.listener_type() == Match::SIDECAR_INBOUND && !target.inbound) return false;
  if (match.listener_type() == Match::SIDECAR_OUTBOUND && target.inbound) return false;
  if (match.listener_protocol() == Match::TCP) return false;
  if (match.port_number() != 0 && match.port_number() != target.port) return false;
  if (!match.port_name_prefix().empty() &&
      !absl::StartsWithIgnoreCase(target.port_name, match.port_name_prefix())) {
    return false;
  }
  if (match.address_size() > 0) {
    bool any = false;
    for (const std::string& entry : match.address()) any |= AddressMatches(entry, target.address);
    if (!any) return false;
  }
  return true;
}

// Inserts Istio 1.4 `filters` of type HTTP. Positions as 1.4 placed them,
// except LAST, which goes just before the router: a filter after the router
// never runs, and gRPC rejects a chain whose last filter is not the router.
void InsertDeprecatedHttpFilters(const PushContext& context, const PatchTarget& target,
                                 hcm::HttpConnectionManager& manager) {
  using Position = EF::InsertPosition;
  for (const auto& [resource, filter] : context.envoy_filters()) {
    if (filter->filters_size() == 0) continue;
    if (!AppliesTo(context, *resource, filter->workload_labels(), target)) continue;
    const std::string name = resource->namespace_name + "/" + resource->name;
    for (const EF::Filter& deprecated : filter->filters()) {
      if (deprecated.filter_type() != EF::Filter::HTTP) continue;
      if (!DeprecatedListenerMatches(deprecated.listener_match(), target)) continue;
      auto* filters = manager.mutable_http_filters();
      bool present = false;
      for (const auto& existing : *filters) present |= existing.name() == deprecated.filter_name();
      if (present) continue;  // adding twice would be NACKed
      absl::StatusOr<google::protobuf::Any> typed =
          mesh::EnvoyHttpFilterConfigToAny(deprecated.filter_name(), deprecated.filter_config());
      if (!typed.ok()) {
        spdlog::warn("EnvoyFilter {}: filter {}: {}", name, deprecated.filter_name(),
                     std::string(typed.status().message()));
        continue;
      }
      int position = 0;  // FIRST, the default
      const Position& insert = deprecated.insert_position();
      if (insert.index() == Position::LAST) {
        position = filters->size();
        if (position > 0 && absl::StrContains(filters->Get(position - 1).name(), "router")) {
          --position;
        }
      } else if (insert.index() == Position::BEFORE || insert.index() == Position::AFTER) {
        position = -1;
        for (int i = 0; i < filters->size(); ++i) {
          if (filters->Get(i).name() == insert.relative_to()) {
            position = insert.index() == Position::BEFORE ? i : i + 1;
          }
        }
        if (position < 0) continue;  // relativeTo not in this chain
      }
      hcm::HttpFilter* added = filters->Add();
      added->set_name(deprecated.filter_name());
      *added->mutable_typed_config() = *std::move(typed);
      for (int i = filters->size() - 1; i > position; --i) filters->SwapElements(i, i - 1);
    }
  }
}

void PatchHttpFilters(const PushContext& context, const PatchTarget& target,
                      hcm::HttpConnectionManager& manager) {
  ForEachPatch(context, target, EF::HTTP_FILTER,
               [&](const std::string& name, const EF::EnvoyConfigObjectPatch& patch) {
                 const std::string sub_filter =
                     patch.match().listener().filter_chain().filter().sub_filter().name();
                 auto* filters = manager.mutable_http_filters();
                 int at = -1;
                 for (int i = 0; i < filters->size(); ++i) {
                   if (!sub_filter.empty() && filters->Get(i).name() == sub_filter) at = i;
                 }
                 const auto op = patch.patch().operation();
                 if (op == EF::Patch::REMOVE || op == EF::Patch::MERGE) {
                   if (at < 0) return;
                   if (op == EF::Patch::REMOVE) {
                     filters->DeleteSubrange(at, 1);
                   } else {
                     hcm::HttpFilter merge;
                     if (FromValue(patch.patch().value(), merge, name))
                       filters->Mutable(at)->MergeFrom(merge);
                   }
                   return;
                 }
                 hcm::HttpFilter added;
                 if (!FromValue(patch.patch().value(), added, name)) return;
                 for (const auto& existing : *filters) {
                   if (existing.name() == added.name())
                     return;  // already there: adding twice would be NACKed
                 }
                 int position = filters->size();
                 if (op == EF::Patch::INSERT_FIRST) {
                   position = 0;
                 } else if (op == EF::Patch::INSERT_BEFORE) {
                   if (at < 0) return;
                   position = at;
                 } else if (op == EF::Patch::INSERT_AFTER) {
                   if (at < 0) return;
                   position = at + 1;
                 } else if (op == EF::Patch::ADD) {
                   // The router must stay last.
                   if (!filters->empty() &&
                       absl::StrContains(filters->Get(filters->size() - 1).name(), "router")) {
                     position = filters->size() - 1;
                   }
                 }
                 *filters->Add() = added;
                 for (int i = filters->size() - 1; i > position; --i)
                   filters->SwapElements(i, i - 1);
               });
}

}  // namespace

void ApplyListenerPatches(const PushContext& context, const PatchTarget& target,
                          envoy::config::listener::v3::Listener& listener) {
  ForEachPatch(context, target, EF::LISTENER,
               [&](const std::string& name, const EF::EnvoyConfigObjectPatch& patch) {
                 if (patch.patch().operation() != EF::Patch::MERGE) return;
                 envoy::config::listener::v3::Listener merge;
                 if (FromValue(patch.patch().value(), merge, name)) listener.MergeFrom(merge);
               });
  auto patch_manager = [&](google::protobuf::Any& any) {
    hcm::HttpConnectionManager manager;
    if (!any.UnpackTo(&manager)) return;
    PatchHttpFilters(context, target, manager);
    InsertDeprecatedHttpFilters(context, target, manager);
    any.PackFrom(manager);
  };
  if (listener.has_api_listener())
    patch_manager(*listener.mutable_api_listener()->mutable_api_listener());
  for (auto& chain : *listener.mutable_filter_chains()) {
    for (auto& filter : *chain.mutable_filters()) {
      if (filter.has_typed_config()) patch_manager(*filter.mutable_typed_config());
    }
  }
}

void ApplyRoutePatches(const PushContext& context, const PatchTarget& target,
                       envoy::config::route::v3::RouteConfiguration& routes) {
  ForEachPatch(context, target, EF::ROUTE_CONFIGURATION,
               [&](const std::string& name, const EF::EnvoyConfigObjectPatch& patch) {
                 if (patch.patch().operation() != EF::Patch::MERGE) return;
                 envoy::config::route::v3::RouteConfiguration merge;
                 if (FromValue(patch.patch().value(), merge, name)) routes.MergeFrom(merge);
               });
  ForEachPatch(context, target, EF::VIRTUAL_HOST,
               [&](const std::string& name, const EF::EnvoyConfigObjectPatch& patch) {
                 const std::string& vhost_name = patch.match().route_configuration().vhost().name();
                 if (patch.patch().operation() == EF::Patch::ADD) {
                   envoy::config::route::v3::VirtualHost added;
                   if (FromValue(patch.patch().value(), added, name))
                     *routes.add_virtual_hosts() = added;
                   return;
                 }
                 for (int i = 0; i < routes.virtual_hosts_size(); ++i) {
                   if (!vhost_name.empty() && routes.virtual_hosts(i).name() != vhost_name)
                     continue;
                   if (patch.patch().operation() == EF::Patch::REMOVE) {
                     routes.mutable_virtual_hosts()->DeleteSubrange(i--, 1);
                   } else if (patch.patch().operation() == EF::Patch::MERGE) {
                     envoy::config::route::v3::VirtualHost merge;
                     if (FromValue(patch.patch().value(), merge, name))
                       routes.mutable_virtual_hosts(i)->MergeFrom(merge);
                   }
                 }
               });
  ForEachPatch(context, target, EF::HTTP_ROUTE,
               [&](const std::string& name, const EF::EnvoyConfigObjectPatch& patch) {
                 const std::string& route_name =
                     patch.match().route_configuration().vhost().route().name();
                 for (auto& vhost : *routes.mutable_virtual_hosts()) {
                   auto* list = vhost.mutable_routes();
                   const auto op = patch.patch().operation();
                   if (op == EF::Patch::INSERT_FIRST || op == EF::Patch::ADD) {
                     envoy::config::route::v3::Route added;
                     if (!FromValue(patch.patch().value(), added, name)) return;
                     *list->Add() = added;
                     if (op == EF::Patch::INSERT_FIRST) {
                       for (int i = list->size() - 1; i > 0; --i) list->SwapElements(i, i - 1);
                     }
                     continue;
                   }
                   for (int i = 0; i < list->size(); ++i) {
                     if (!route_name.empty() && list->Get(i).name() != route_name) continue;
                     if (op == EF::Patch::REMOVE) {
                       list->DeleteSubrange(i--, 1);
                     } else if (op == EF::Patch::MERGE) {
                       envoy::config::route::v3::Route merge;
                       if (FromValue(patch.patch().value(), merge, name))
                         list->Mutable(i)->MergeFrom(merge);
                     }
                   }
                 }
               });
}

void ApplyClusterPatches(const PushContext& context, const std::string& proxy_namespace,
                         const std::string& host, const std::string& subset, uint32_t port,
                         envoy::config::cluster::v3::Cluster& cluster) {
  PatchTarget target{.inbound = false, .port = port, .workload_namespace = proxy_namespace};
  ForEachPatch(context, target, EF::CLUSTER,
               [&](const std::string& name, const EF::EnvoyConfigObjectPatch& patch) {
                 const auto& match = patch.match().cluster();
                 if (match.port_number() != 0 && match.port_number() != port) return;
                 if (!match.service().empty() && match.service() != host) return;
                 if (!match.subset().empty() && match.subset() != subset) return;
                 if (!match.name().empty() && match.name() != cluster.name()) return;
                 if (patch.patch().operation() == EF::Patch::MERGE) {
                   envoy::config::cluster::v3::Cluster merge;
                   if (FromValue(patch.patch().value(), merge, name)) cluster.MergeFrom(merge);
                 }
               });
}

}  // namespace keel::pilot
