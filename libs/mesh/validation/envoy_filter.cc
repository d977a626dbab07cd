// Validator for networking.istio.io EnvoyFilter: configPatches, and Istio 1.4's older filters form.
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "google/protobuf/util/json_util.h"
#include "libs/mesh/envoy_types.h"
#include "libs/mesh/validation/field_path.h"
#include "libs/mesh/validation/rules.h"
#include "libs/mesh/validation/validators.h"
#include "proto/istio/networking/v1alpha3/envoy_filter.pb.h"

namespace keel::mesh::validation {

namespace net = ::istio::networking::v1alpha3;

namespace {

// The Envoy message a patch value must convert to, per applyTo.
std::unique_ptr<google::protobuf::Message> PatchTargetMessage(net::EnvoyFilter::ApplyTo apply_to) {
  switch (apply_to) {
    case net::EnvoyFilter::LISTENER:
      return std::make_unique<envoy::config::listener::v3::Listener>();
    case net::EnvoyFilter::HTTP_FILTER:
      return std::make_unique<
          envoy::extensions::filters::network::http_connection_manager::v3::HttpFilter>();
    case net::EnvoyFilter::ROUTE_CONFIGURATION:
      return std::make_unique<envoy::config::route::v3::RouteConfiguration>();
    case net::EnvoyFilter::VIRTUAL_HOST:
      return std::make_unique<envoy::config::route::v3::VirtualHost>();
    case net::EnvoyFilter::HTTP_ROUTE:
      return std::make_unique<envoy::config::route::v3::Route>();
    case net::EnvoyFilter::CLUSTER:
      return std::make_unique<envoy::config::cluster::v3::Cluster>();
    default:
      return nullptr;
  }
}

// Istio 1.4's `workloadLabels` + `filters` form: still valid in 1.4 (with a
// deprecation warning), checked with 1.4's messages. An HTTP filter's config
// must also convert to a typed xDS v3 config, or Pilot could not send it.
void ValidateDeprecatedEnvoyFilterForm(const net::EnvoyFilter& filter, FieldErrors& errors) {
  using Deprecated = net::EnvoyFilter::Filter;
  using Position = net::EnvoyFilter::InsertPosition;
  if (!filter.workload_labels().empty()) {
    errors.Warning("spec.workloadLabels",
                   "Envoy filter: workloadLabels is deprecated. use workloadSelector instead");
    Check(errors, "spec.workloadLabels",
          CheckLabels(std::map<std::string, std::string>(filter.workload_labels().begin(),
                                                         filter.workload_labels().end())));
  }
  if (filter.filters_size() > 0) {
    errors.Warning("spec.filters",
                   "Envoy filter: Filters is deprecated. use configPatches instead");
  }
  for (int i = 0; i < filter.filters_size(); ++i) {
    const Deprecated& f = filter.filters(i);
    const std::string field = At("spec.filters", i);
    if (f.has_insert_position() &&
        (f.insert_position().index() == Position::BEFORE ||
         f.insert_position().index() == Position::AFTER) &&
        f.insert_position().relative_to().empty()) {
      errors.Error(Dot(field, "insertPosition.relativeTo"),
                   "Envoy filter: missing relativeTo filter with BEFORE/AFTER index");
    }
    if (f.filter_type() == Deprecated::INVALID) {
      errors.Error(Dot(field, "filterType"), "Envoy filter: missing filter type");
    }
    if (f.filter_name().empty()) {
      errors.Error(Dot(field, "filterName"), "Envoy filter: missing filter name");
    }
    if (!f.has_filter_config()) {
      errors.Error(Dot(field, "filterConfig"), "Envoy filter: missing filter config");
    } else if (f.filter_type() == Deprecated::HTTP && !f.filter_name().empty()) {
      absl::StatusOr<google::protobuf::Any> typed =
          EnvoyHttpFilterConfigToAny(f.filter_name(), f.filter_config());
      if (!typed.ok()) {
        errors.Error(Dot(field, "filterConfig"),
                     absl::StrCat("Envoy filter: ", typed.status().message()));
      }
    }
    if (f.filter_type() == Deprecated::NETWORK) {
      errors.Warning(Dot(field, "filterType"),
                     "Envoy filter: NETWORK filters are not applied: proxyless gRPC listeners "
                     "carry no network filter but the HTTP connection manager");
    }
    const auto& match = f.listener_match();
    if (match.port_number() != 0) {
      Check(errors, Dot(field, "listenerMatch.portNumber"), CheckPort(match.port_number()));
    }
    for (int j = 0; j < match.address_size(); ++j) {
      Check(errors, At(Dot(field, "listenerMatch.address"), j), CheckIpOrCidr(match.address(j)));
    }
  }
}

}  // namespace

void ValidateEnvoyFilter(const Resource& resource, FieldErrors& errors) {
  const auto& filter = resource.SpecAs<net::EnvoyFilter>();
  using Patch = net::EnvoyFilter::Patch;
  using ApplyTo = net::EnvoyFilter::ApplyTo;
  // The patch targets Keel can apply to the xDS it generates.
  static const std::set<int> kSupportedApplyTo = {net::EnvoyFilter::LISTENER,
                                                  net::EnvoyFilter::HTTP_FILTER,
                                                  net::EnvoyFilter::ROUTE_CONFIGURATION,
                                                  net::EnvoyFilter::VIRTUAL_HOST,
                                                  net::EnvoyFilter::HTTP_ROUTE,
                                                  net::EnvoyFilter::CLUSTER};
  ValidateDeprecatedEnvoyFilterForm(filter, errors);
  for (int i = 0; i < filter.config_patches_size(); ++i) {
    const auto& patch = filter.config_patches(i);
    const std::string field = At("spec.configPatches", i);
    if (patch.apply_to() == net::EnvoyFilter::INVALID) {
      errors.Error(Dot(field, "applyTo"), "Envoy filter: missing applyTo");
      continue;
    }
    if (kSupportedApplyTo.count(patch.apply_to()) == 0) {
      errors.Error(Dot(field, "applyTo"),
                   absl::StrCat("applyTo ", net::EnvoyFilter::ApplyTo_Name(patch.apply_to()),
                                " is not supported by Keel (supported: LISTENER, HTTP_FILTER, "
                                "ROUTE_CONFIGURATION, VIRTUAL_HOST, HTTP_ROUTE, CLUSTER)"));
    }
    if (!patch.has_patch()) {
      errors.Error(Dot(field, "patch"), "Envoy filter: missing patch");
      continue;
    }
    const auto operation = patch.patch().operation();
    if (operation == Patch::INVALID) {
      errors.Error(Dot(field, "patch.operation"), "Envoy filter: missing patch operation");
    }
    if (operation != Patch::REMOVE && operation != Patch::INVALID && !patch.patch().has_value()) {
      errors.Error(Dot(field, "patch.value"),
                   "Envoy filter: missing patch value for non-remove operation");
    }
    // The value must be something Keel can represent: it converts to the
    // Envoy message the patch applies to (typed_config included), or the
    // filter is rejected here rather than silently ignored later.
    if (patch.patch().has_value()) {
      std::unique_ptr<google::protobuf::Message> target = PatchTargetMessage(patch.apply_to());
      std::string json;
      if (target != nullptr &&
          google::protobuf::util::MessageToJsonString(patch.patch().value(), &json).ok()) {
        // Against every Envoy type, so a typed_config of any extension checks.
        absl::StatusOr<std::string> binary =
            EnvoyJsonToBinary(target->GetDescriptor()->full_name(), json);
        if (!binary.ok()) {
          errors.Error(Dot(field, "patch.value"),
                       absl::StrCat("Envoy filter: value is not a valid ",
                                    target->GetDescriptor()->full_name(), ": ",
                                    std::string(binary.status().message())));
        } else {
          // Every regex in the value is bounded as a VirtualService's is
          // (an unbounded one crashed istiod: ISTIO-SECURITY-2026-006).
          ForEachEnvoyRegex(target->GetDescriptor()->full_name(), *binary,
                            [&](const std::string& path, const std::string& regex) {
                              CheckRegexWithinBudget(errors, Dot(field, "patch.value") + "." + path,
                                                     regex);
                            });
        }
      }
    }
    const bool insert = operation == Patch::INSERT_BEFORE || operation == Patch::INSERT_AFTER ||
                        operation == Patch::INSERT_FIRST;
    if (insert && patch.apply_to() != net::EnvoyFilter::HTTP_FILTER &&
        patch.apply_to() != net::EnvoyFilter::HTTP_ROUTE &&
        patch.apply_to() != net::EnvoyFilter::NETWORK_FILTER &&
        patch.apply_to() != net::EnvoyFilter::LISTENER_FILTER) {
      errors.Error(
          Dot(field, "patch.operation"),
          absl::StrCat(
              "Envoy filter: ", Patch::Operation_Name(operation),
              " is valid only for HTTP_FILTER, HTTP_ROUTE, NETWORK_FILTER or LISTENER_FILTER"));
    }
    if ((operation == Patch::ADD) && patch.apply_to() != net::EnvoyFilter::LISTENER &&
        patch.apply_to() != net::EnvoyFilter::CLUSTER &&
        patch.apply_to() != net::EnvoyFilter::HTTP_FILTER &&
        patch.apply_to() != net::EnvoyFilter::VIRTUAL_HOST &&
        patch.apply_to() != net::EnvoyFilter::HTTP_ROUTE &&
        patch.apply_to() != net::EnvoyFilter::ROUTE_CONFIGURATION &&
        patch.apply_to() != net::EnvoyFilter::NETWORK_FILTER &&
        patch.apply_to() != net::EnvoyFilter::FILTER_CHAIN &&
        patch.apply_to() != net::EnvoyFilter::LISTENER_FILTER) {
      errors.Error(Dot(field, "patch.operation"),
                   "Envoy filter: ADD is not valid for this applyTo");
    }
    if (patch.has_match()) {
      const auto& match = patch.match();
      if (match.has_listener() && match.listener().port_number() > 0) {
        Check(errors, Dot(field, "match.listener.portNumber"),
              CheckPort(match.listener().port_number()));
      }
      if (match.has_cluster() && match.cluster().port_number() > 0) {
        Check(errors, Dot(field, "match.cluster.portNumber"),
              CheckPort(match.cluster().port_number()));
      }
      if (patch.apply_to() == net::EnvoyFilter::CLUSTER &&
          (match.has_listener() || match.has_route_configuration())) {
        errors.Error(Dot(field, "match"), "Envoy filter: applyTo CLUSTER can only match clusters");
      }
      if ((patch.apply_to() == net::EnvoyFilter::LISTENER ||
           patch.apply_to() == net::EnvoyFilter::HTTP_FILTER) &&
          (match.has_cluster() || match.has_route_configuration())) {
        errors.Error(Dot(field, "match"), "Envoy filter: applyTo " +
                                              net::EnvoyFilter::ApplyTo_Name(patch.apply_to()) +
                                              " can only match listeners");
      }
    }
  }
  if (filter.has_workload_selector()) {
    Check(
        errors, "spec.workloadSelector.labels",
        CheckLabels(std::map<std::string, std::string>(filter.workload_selector().labels().begin(),
                                                       filter.workload_selector().labels().end())));
  }
  (void)sizeof(ApplyTo);
}

}  // namespace keel::mesh::validation
