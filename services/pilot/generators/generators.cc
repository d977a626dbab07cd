#include "services/pilot/generators/generators.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/http/fault/v3/fault.pb.h"
#include "envoy/extensions/filters/http/rbac/v3/rbac.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "libs/common/stable_hash.h"
#include "libs/mesh/analysis.h"
#include "services/pilot/generators/envoy_filter.h"
#include "services/pilot/generators/rbac.h"

namespace keel::pilot {

namespace core = envoy::config::core::v3;
namespace route = envoy::config::route::v3;
namespace hcm = envoy::extensions::filters::network::http_connection_manager::v3;
using envoy::config::cluster::v3::Cluster;
using envoy::config::endpoint::v3::ClusterLoadAssignment;
using envoy::config::listener::v3::Listener;

namespace {

constexpr char kFaultFilter[] = "envoy.filters.http.fault";
constexpr char kRouterFilter[] = "envoy.filters.http.router";

std::string Serialize(const google::protobuf::Message& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  return bytes;
}

// Collects resources; versions are content hashes, so an unchanged resource
// keeps its version across pushes and delta clients are not sent it again.
class Builder {
 public:
  void Add(const std::string& name, const google::protobuf::Message& message) {
    auto resource = std::make_shared<xds::XdsResource>();
    resource->name = name;
    const std::string bytes = Serialize(message);
    resource->version = StableHash().Add(bytes).Hex();
    resource->body.PackFrom(message);
    type_->resources[name] = std::move(resource);
  }
  std::shared_ptr<const xds::TypeResources> Done() {
    StableHash hash;
    for (const auto& [name, resource] : type_->resources) hash.Add(name).Add(resource->version);
    type_->version = hash.Hex();
    return std::move(type_);
  }

 private:
  std::shared_ptr<xds::TypeResources> type_ = std::make_shared<xds::TypeResources>();
};

void SetAds(core::ConfigSource* source) {
  source->mutable_ads();
  source->set_resource_api_version(core::V3);
}

void SetDuration(google::protobuf::Duration* out, const google::protobuf::Duration& in) {
  *out = in;
}

envoy::type::v3::FractionalPercent Percent(double value) {
  envoy::type::v3::FractionalPercent percent;
  percent.set_numerator(static_cast<uint32_t>(value * 10000));
  percent.set_denominator(envoy::type::v3::FractionalPercent::MILLION);
  return percent;
}

void AddHeaderMatcher(route::RouteMatch* match, const std::string& name,
                      const net::StringMatch& value, bool invert) {
  auto* header = match->add_headers();
  header->set_name(name);
  header->set_invert_match(invert);
  // The header_match_specifier forms, not string_match: gRPC 1.51's xDS
  // client NACKs a route with the newer field.
  switch (value.match_type_case()) {
    case net::StringMatch::kExact:
      header->set_exact_match(value.exact());
      break;
    case net::StringMatch::kPrefix:
      header->set_prefix_match(value.prefix());
      break;
    case net::StringMatch::kRegex:
      header->mutable_safe_regex_match()->set_regex(value.regex());
      break;
    default:
      header->set_present_match(true);
  }
}

// The DestinationRule's policy for a subset: subset-level settings override
// host-level ones, field group by field group, as in Istio.
net::TrafficPolicy EffectivePolicy(const net::DestinationRule* dr, const std::string& subset) {
  net::TrafficPolicy policy;
  if (dr == nullptr) return policy;
  policy = dr->traffic_policy();
  for (const auto& s : dr->subsets()) {
    if (s.name() != subset || !s.has_traffic_policy()) continue;
    const auto& over = s.traffic_policy();
    if (over.has_load_balancer()) *policy.mutable_load_balancer() = over.load_balancer();
    if (over.has_connection_pool()) *policy.mutable_connection_pool() = over.connection_pool();
    if (over.has_outlier_detection())
      *policy.mutable_outlier_detection() = over.outlier_detection();
    if (over.has_tls()) *policy.mutable_tls() = over.tls();
  }
  return policy;
}

// `ns` is the VirtualService's namespace, in which short host names resolve.
void AddRouteAction(const PushContext& context, const net::HTTPRoute& http, uint32_t default_port,
                    const std::string& ns, route::Route* out) {
  auto* action = out->mutable_route();
  auto cluster_of = [&](const net::Destination& d) {
    const std::string host = mesh::ToFqdn(ns, d.host(), context.cluster_domain());
    uint32_t port = d.has_port() ? d.port().number() : 0;
    if (port == 0) {
      const ServiceInfo* service = context.FindService(host);
      port = service != nullptr && service->ports.size() == 1 ? service->ports[0].number
                                                              : default_port;
    }
    return ClusterName(port, d.subset(), host);
  };
  if (http.route_size() == 1) {
    action->set_cluster(cluster_of(http.route(0).destination()));
  } else {
    auto* weighted = action->mutable_weighted_clusters();
    for (const auto& destination : http.route()) {
      if (destination.weight() == 0) continue;
      auto* cluster = weighted->add_clusters();
      cluster->set_name(cluster_of(destination.destination()));
      cluster->mutable_weight()->set_value(destination.weight());
    }
  }
  if (http.has_timeout()) {
    // gRPC clients obey max_stream_duration, not timeout.
    SetDuration(action->mutable_timeout(), http.timeout());
    SetDuration(action->mutable_max_stream_duration()->mutable_max_stream_duration(),
                http.timeout());
  }
  if (http.has_retries() && http.retries().attempts() > 0) {
    auto* retry = action->mutable_retry_policy();
    retry->set_retry_on(
        http.retries().retry_on().empty()
            ? "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
            : http.retries().retry_on());
    retry->mutable_num_retries()->set_value(http.retries().attempts());
    if (http.retries().has_per_try_timeout()) {
      SetDuration(retry->mutable_per_try_timeout(), http.retries().per_try_timeout());
    }
  }
  // Consistent hashing by header, from the destination's DestinationRule.
  if (http.route_size() > 0) {
    const std::string host =
        mesh::ToFqdn(ns, http.route(0).destination().host(), context.cluster_domain());
    const auto* dr = context.DestinationRuleFor(host);
    net::TrafficPolicy policy =
        EffectivePolicy(dr ? dr->spec : nullptr, http.route(0).destination().subset());
    if (policy.load_balancer().has_consistent_hash() &&
        !policy.load_balancer().consistent_hash().http_header_name().empty()) {
      action->add_hash_policy()->mutable_header()->set_header_name(
          policy.load_balancer().consistent_hash().http_header_name());
    }
  }
  if (http.has_fault()) {
    envoy::extensions::filters::http::fault::v3::HTTPFault fault;
    if (http.fault().has_delay() && http.fault().delay().has_fixed_delay()) {
      SetDuration(fault.mutable_delay()->mutable_fixed_delay(), http.fault().delay().fixed_delay());
      *fault.mutable_delay()->mutable_percentage() = Percent(
          http.fault().delay().has_percentage() ? http.fault().delay().percentage().value() : 100);
    }
    if (http.fault().has_abort()) {
      const auto& abort = http.fault().abort();
      auto* out_abort = fault.mutable_abort();
      if (abort.error_type_case() == net::HTTPFaultInjection::Abort::kGrpcStatus) {
        constexpr int kUnavailable = 14;
        static const std::map<std::string, int> kCodes = {{"OK", 0},
                                                          {"CANCELLED", 1},
                                                          {"UNKNOWN", 2},
                                                          {"INVALID_ARGUMENT", 3},
                                                          {"DEADLINE_EXCEEDED", 4},
                                                          {"NOT_FOUND", 5},
                                                          {"ALREADY_EXISTS", 6},
                                                          {"PERMISSION_DENIED", 7},
                                                          {"RESOURCE_EXHAUSTED", 8},
                                                          {"FAILED_PRECONDITION", 9},
                                                          {"ABORTED", 10},
                                                          {"OUT_OF_RANGE", 11},
                                                          {"UNIMPLEMENTED", 12},
                                                          {"INTERNAL", 13},
                                                          {"UNAVAILABLE", 14},
                                                          {"DATA_LOSS", 15},
                                                          {"UNAUTHENTICATED", 16}};
        auto it = kCodes.find(abort.grpc_status());
        out_abort->set_grpc_status(it == kCodes.end() ? kUnavailable : it->second);
      } else {
        out_abort->set_http_status(abort.http_status());
      }
      *out_abort->mutable_percentage() =
          Percent(abort.has_percentage() ? abort.percentage().value() : 100);
    }
    (*out->mutable_typed_per_filter_config())[kFaultFilter].PackFrom(fault);
  }
}

bool AnyFault(const net::VirtualService* vs) {
  if (vs == nullptr) return false;
  for (const auto& http : vs->http()) {
    if (http.has_fault()) return true;
  }
  return false;
}

route::RouteConfiguration BuildRouteConfiguration(const PushContext& context,
                                                  const ServiceInfo& service,
                                                  const ServicePort& port) {
  const std::string name = absl::StrCat(service.host, ":", port.number);
  route::RouteConfiguration config;
  config.set_name(name);
  auto* vhost = config.add_virtual_hosts();
  vhost->set_name(name);
  // A proxyless client looks its target up exactly as dialed: host:port.
  vhost->add_domains(name);
  vhost->add_domains(service.host);
  const auto* vs = context.VirtualServiceFor(service.host);
  bool has_catch_all = false;
  if (vs != nullptr) {
    for (const auto& http : vs->spec->http()) {
      if (http.route_size() == 0) continue;  // redirects and direct responses do not apply to gRPC
      std::vector<const net::HTTPMatchRequest*> matches;
      for (const auto& m : http.match()) matches.push_back(&m);
      if (matches.empty()) matches.push_back(nullptr);
      for (const net::HTTPMatchRequest* m : matches) {
        auto* r = vhost->add_routes();
        if (!http.name().empty()) r->set_name(http.name());
        auto* match = r->mutable_match();
        if (m != nullptr && m->port() != 0 && m->port() != port.number) {
          vhost->mutable_routes()->RemoveLast();
          continue;
        }
        if (m != nullptr && m->has_uri()) {
          switch (m->uri().match_type_case()) {
            case net::StringMatch::kExact:
              match->set_path(m->uri().exact());
              break;
            case net::StringMatch::kRegex:
              match->mutable_safe_regex()->set_regex(m->uri().regex());
              break;
            default:
              match->set_prefix(m->uri().prefix());
          }
          if (m->ignore_uri_case()) match->mutable_case_sensitive()->set_value(false);
        } else {
          match->set_prefix("");
        }
        if (m != nullptr) {
          std::map<std::string, net::StringMatch> headers(m->headers().begin(), m->headers().end());
          for (const auto& [header, value] : headers) AddHeaderMatcher(match, header, value, false);
          std::map<std::string, net::StringMatch> without(m->without_headers().begin(),
                                                          m->without_headers().end());
          for (const auto& [header, value] : without) AddHeaderMatcher(match, header, value, true);
          if (m->has_method()) AddHeaderMatcher(match, ":method", m->method(), false);
          if (m->has_authority()) AddHeaderMatcher(match, ":authority", m->authority(), false);
          if (m->has_scheme()) AddHeaderMatcher(match, ":scheme", m->scheme(), false);
        }
        if (m == nullptr ||
            (!m->has_uri() && m->headers().empty() && m->without_headers().empty() &&
             !m->has_method() && !m->has_authority() && !m->has_scheme())) {
          has_catch_all = true;
        }
        AddRouteAction(context, http, port.number, vs->resource->namespace_name, r);
      }
    }
  }
  if (!has_catch_all) {
    // The default route: everything else to the service itself.
    auto* r = vhost->add_routes();
    r->set_name("default");
    r->mutable_match()->set_prefix("");
    r->mutable_route()->set_cluster(ClusterName(port.number, "", service.host));
  }
  return config;
}

}  // namespace

std::string ClusterName(uint32_t port, const std::string& subset, const std::string& host) {
  return absl::StrCat("outbound|", port, "|", subset, "|", host);
}

std::shared_ptr<const xds::TypeResources> GenerateListeners(const PushContext& context) {
  Builder builder;
  for (const ServiceInfo& service : context.services()) {
    const bool fault = AnyFault(context.VirtualServiceFor(service.host)
                                    ? context.VirtualServiceFor(service.host)->spec
                                    : nullptr);
    for (const ServicePort& port : service.ports) {
      const std::string name = absl::StrCat(service.host, ":", port.number);
      hcm::HttpConnectionManager manager;
      manager.set_stat_prefix(name);
      SetAds(manager.mutable_rds()->mutable_config_source());
      manager.mutable_rds()->set_route_config_name(name);
      if (fault) {
        auto* filter = manager.add_http_filters();
        filter->set_name(kFaultFilter);
        filter->mutable_typed_config()->PackFrom(
            envoy::extensions::filters::http::fault::v3::HTTPFault());
      }
      auto* router = manager.add_http_filters();
      router->set_name(kRouterFilter);
      router->mutable_typed_config()->PackFrom(
          envoy::extensions::filters::http::router::v3::Router());
      Listener listener;
      listener.set_name(name);
      listener.mutable_api_listener()->mutable_api_listener()->PackFrom(manager);
      ApplyListenerPatches(context, PatchTarget{.inbound = false, .port = port.number}, listener);
      builder.Add(name, listener);
    }
  }
  // Inbound listeners for xDS-enabled gRPC servers, one per endpoint address.
  std::set<std::string> inbound;
  for (const ServiceInfo& service : context.services()) {
    for (const ServicePort& port : service.ports) {
      for (const Endpoint& endpoint : service.endpoints) {
        auto named = endpoint.ports.find(port.name);
        const uint32_t target = named != endpoint.ports.end() ? named->second
                                : port.target_port != 0       ? port.target_port
                                                              : port.number;
        const std::string address = absl::StrCat(endpoint.address, ":", target);
        if (!inbound.insert(address).second) continue;
        Listener listener =
            BuildInboundListener(context, endpoint, address, kServerListenerPrefix + address);
        const std::string workload_namespace =
            endpoint.workload.empty() ? service.namespace_name
                                      : endpoint.workload.substr(0, endpoint.workload.find('/'));
        ApplyListenerPatches(context,
                             PatchTarget{.inbound = true,
                                         .port = target,
                                         .workload_labels = &endpoint.labels,
                                         .workload_namespace = workload_namespace},
                             listener);
        builder.Add(kServerListenerPrefix + address, listener);
      }
    }
  }
  return builder.Done();
}

std::shared_ptr<const xds::TypeResources> GenerateRoutes(const PushContext& context) {
  Builder builder;
  for (const ServiceInfo& service : context.services()) {
    for (const ServicePort& port : service.ports) {
      route::RouteConfiguration config = BuildRouteConfiguration(context, service, port);
      ApplyRoutePatches(context, PatchTarget{.inbound = false, .port = port.number}, config);
      builder.Add(config.name(), config);
    }
  }
  return builder.Done();
}

std::shared_ptr<const xds::TypeResources> GenerateClusters(const PushContext& context) {
  Builder builder;
  for (const ServiceInfo& service : context.services()) {
    const auto* dr = context.DestinationRuleFor(service.host);
    std::vector<std::string> subsets = {""};
    if (dr != nullptr) {
      for (const auto& subset : dr->spec->subsets()) subsets.push_back(subset.name());
    }
    for (const ServicePort& port : service.ports) {
      for (const std::string& subset : subsets) {
        const std::string name = ClusterName(port.number, subset, service.host);
        const net::TrafficPolicy policy = EffectivePolicy(dr ? dr->spec : nullptr, subset);
        Cluster cluster;
        cluster.set_name(name);
        cluster.set_type(Cluster::EDS);
        SetAds(cluster.mutable_eds_cluster_config()->mutable_eds_config());
        cluster.mutable_eds_cluster_config()->set_service_name(name);
        cluster.mutable_connect_timeout()->set_seconds(10);
        const auto& lb = policy.load_balancer();
        if (lb.has_consistent_hash()) {
          cluster.set_lb_policy(Cluster::RING_HASH);
          if (lb.consistent_hash().minimum_ring_size() > 0) {
            cluster.mutable_ring_hash_lb_config()->mutable_minimum_ring_size()->set_value(
                lb.consistent_hash().minimum_ring_size());
          }
        } else if (lb.simple() == net::LoadBalancerSettings::LEAST_REQUEST ||
                   lb.simple() == net::LoadBalancerSettings::LEAST_CONN) {
          cluster.set_lb_policy(Cluster::LEAST_REQUEST);
        } else {
          cluster.set_lb_policy(Cluster::ROUND_ROBIN);
        }
        if (policy.connection_pool().has_http() &&
            policy.connection_pool().http().http2_max_requests() > 0) {
          cluster.mutable_circuit_breakers()->add_thresholds()->mutable_max_requests()->set_value(
              policy.connection_pool().http().http2_max_requests());
        }
        if (policy.has_outlier_detection()) {
          const auto& in = policy.outlier_detection();
          auto* out = cluster.mutable_outlier_detection();
          if (in.has_consecutive_5xx_errors())
            out->mutable_consecutive_5xx()->set_value(in.consecutive_5xx_errors().value());
          if (in.has_interval()) *out->mutable_interval() = in.interval();
          if (in.has_base_ejection_time())
            *out->mutable_base_ejection_time() = in.base_ejection_time();
          if (in.max_ejection_percent() > 0)
            out->mutable_max_ejection_percent()->set_value(in.max_ejection_percent());
        }
        ApplyClusterPatches(context, service.host, subset, port.number, cluster);
        builder.Add(name, cluster);
      }
    }
  }
  return builder.Done();
}

std::shared_ptr<const xds::TypeResources> GenerateEndpoints(const PushContext& context) {
  Builder builder;
  for (const ServiceInfo& service : context.services()) {
    const auto* dr = context.DestinationRuleFor(service.host);
    std::vector<std::pair<std::string, std::map<std::string, std::string>>> subsets = {{"", {}}};
    if (dr != nullptr) {
      for (const auto& subset : dr->spec->subsets()) {
        subsets.push_back({subset.name(), std::map<std::string, std::string>(
                                              subset.labels().begin(), subset.labels().end())});
      }
    }
    for (const ServicePort& port : service.ports) {
      for (const auto& [subset, labels] : subsets) {
        const std::string name = ClusterName(port.number, subset, service.host);
        ClusterLoadAssignment assignment;
        assignment.set_cluster_name(name);
        std::map<std::string, envoy::config::endpoint::v3::LocalityLbEndpoints*> by_locality;
        for (const Endpoint& endpoint : service.endpoints) {
          if (!LabelsMatch(labels, endpoint.labels)) continue;
          auto named = endpoint.ports.find(port.name);
          const uint32_t target = named != endpoint.ports.end() ? named->second
                                  : port.target_port != 0       ? port.target_port
                                                                : port.number;
          auto*& group = by_locality[endpoint.locality];
          if (group == nullptr) {
            group = assignment.add_endpoints();
            std::vector<std::string> parts = absl::StrSplit(endpoint.locality, '/');
            auto* locality = group->mutable_locality();  // always present, even empty
            if (parts.size() > 0) locality->set_region(parts[0]);
            if (parts.size() > 1) locality->set_zone(parts[1]);
            if (parts.size() > 2) locality->set_sub_zone(parts[2]);
          }
          auto* lb_endpoint = group->add_lb_endpoints();
          auto* socket =
              lb_endpoint->mutable_endpoint()->mutable_address()->mutable_socket_address();
          socket->set_address(endpoint.address);
          socket->set_port_value(target);
          lb_endpoint->set_health_status(core::HEALTHY);
          lb_endpoint->mutable_load_balancing_weight()->set_value(endpoint.weight);
        }
        // Every locality carries a weight: some clients drop one without.
        for (auto& [locality, group] : by_locality) {
          uint32_t total = 0;
          for (const auto& e : group->lb_endpoints()) total += e.load_balancing_weight().value();
          group->mutable_load_balancing_weight()->set_value(std::max<uint32_t>(total, 1));
        }
        builder.Add(name, assignment);
      }
    }
  }
  return builder.Done();
}

const std::map<std::string, Generator>& Generators() {
  static const auto* const kGenerators = new std::map<std::string, Generator>{
      {kListenerType, GenerateListeners},
      {kRouteType, GenerateRoutes},
      {kClusterType, GenerateClusters},
      {kEndpointType, GenerateEndpoints},
  };
  return *kGenerators;
}

}  // namespace keel::pilot
