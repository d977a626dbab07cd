#include "services/pilot/generators/generators.h"

#include <set>
#include <unordered_map>

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
#include "libs/mesh/hosts.h"
#include "services/pilot/generators/envoy_filter.h"
#include "services/pilot/generators/locality.h"
#include "services/pilot/generators/mtls.h"
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
  // Add adds a resource made before (reused from a cache).
  void Add(std::shared_ptr<const xds::XdsResource> resource) {
    const std::string name = resource->name;
    type_->resources[name] = std::move(resource);
  }

  std::shared_ptr<const xds::XdsResource> Add(const std::string& name,
                                              const google::protobuf::Message& message) {
    auto resource = std::make_shared<xds::XdsResource>();
    resource->name = name;
    // Serialized once: the bytes are hashed for the version and become the
    // Any's value as they are.
    std::string bytes = Serialize(message);
    resource->version = StableHash().Add(bytes).Hex();
    resource->body.set_type_url(
        absl::StrCat("type.googleapis.com/", message.GetDescriptor()->full_name()));
    resource->body.set_value(std::move(bytes));
    type_->resources[name] = resource;
    return resource;
  }
  std::shared_ptr<const xds::TypeResources> Done() {
    type_->version = TypeVersion(*type_);
    return std::move(type_);
  }

 private:
  std::shared_ptr<xds::TypeResources> type_ = std::make_shared<xds::TypeResources>();
};

}  // namespace

std::string TypeVersion(const xds::TypeResources& type) {
  StableHash hash;
  for (const auto& [name, resource] : type.resources) hash.Add(name).Add(resource->version);
  return hash.Hex();
}

std::shared_ptr<const xds::TypeResources> MergeTypeResources(
    const std::vector<const xds::TypeResources*>& parts) {
  auto merged = std::make_shared<xds::TypeResources>();
  for (const xds::TypeResources* part : parts) {
    merged->resources.insert(part->resources.begin(), part->resources.end());
  }
  merged->version = TypeVersion(*merged);
  return merged;
}

namespace {

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

// Overrides `policy`'s field groups with those `over` sets.
void MergePolicy(const net::TrafficPolicy& over, net::TrafficPolicy& policy) {
  if (over.has_load_balancer()) *policy.mutable_load_balancer() = over.load_balancer();
  if (over.has_connection_pool()) *policy.mutable_connection_pool() = over.connection_pool();
  if (over.has_outlier_detection()) *policy.mutable_outlier_detection() = over.outlier_detection();
  if (over.has_tls()) *policy.mutable_tls() = over.tls();
}

// Overrides `policy` with the port-level settings of `in` for `port`.
void MergePortPolicy(const net::TrafficPolicy& in, uint32_t port, net::TrafficPolicy& policy) {
  for (const auto& port_policy : in.port_level_settings()) {
    if (port_policy.port().number() != port) continue;
    net::TrafficPolicy as_policy;
    if (port_policy.has_load_balancer())
      *as_policy.mutable_load_balancer() = port_policy.load_balancer();
    if (port_policy.has_connection_pool())
      *as_policy.mutable_connection_pool() = port_policy.connection_pool();
    if (port_policy.has_outlier_detection())
      *as_policy.mutable_outlier_detection() = port_policy.outlier_detection();
    if (port_policy.has_tls()) *as_policy.mutable_tls() = port_policy.tls();
    MergePolicy(as_policy, policy);
  }
}

// The DestinationRule's policy for a subset on a port, as Istio merges it:
// host-level settings, then the host's port-level settings for the port,
// then the subset's settings, then the subset's port-level settings, each
// overriding the one before field group by field group. Port 0 skips the
// port-level settings.
net::TrafficPolicy EffectivePolicy(const net::DestinationRule* dr, const std::string& subset,
                                   uint32_t port) {
  net::TrafficPolicy policy;
  if (dr == nullptr) return policy;
  policy = dr->traffic_policy();
  policy.clear_port_level_settings();
  if (port != 0) MergePortPolicy(dr->traffic_policy(), port, policy);
  for (const auto& s : dr->subsets()) {
    if (s.name() != subset || !s.has_traffic_policy()) continue;
    MergePolicy(s.traffic_policy(), policy);
    if (port != 0) MergePortPolicy(s.traffic_policy(), port, policy);
  }
  return policy;
}

// The hash policy of a consistent-hash load balancer (Istio's
// consistentHashToHashPolicy): by header, cookie or source IP. A ring-hash
// cluster needs it on every route that reaches it, or each call hashes at
// random.
void AddHashPolicy(const net::TrafficPolicy& policy, route::RouteAction* action) {
  if (!policy.load_balancer().has_consistent_hash()) return;
  const auto& hash = policy.load_balancer().consistent_hash();
  switch (hash.hash_key_case()) {
    case net::LoadBalancerSettings::ConsistentHashLB::kHttpHeaderName:
      action->add_hash_policy()->mutable_header()->set_header_name(hash.http_header_name());
      break;
    case net::LoadBalancerSettings::ConsistentHashLB::kHttpCookie: {
      auto* cookie = action->add_hash_policy()->mutable_cookie();
      cookie->set_name(hash.http_cookie().name());
      cookie->set_path(hash.http_cookie().path());
      if (hash.http_cookie().has_ttl()) *cookie->mutable_ttl() = hash.http_cookie().ttl();
      break;
    }
    case net::LoadBalancerSettings::ConsistentHashLB::kUseSourceIp:
      action->add_hash_policy()->mutable_connection_properties()->set_source_ip(true);
      break;
    case net::LoadBalancerSettings::ConsistentHashLB::kHttpQueryParameterName:
      action->add_hash_policy()->mutable_query_parameter()->set_name(
          hash.http_query_parameter_name());
      break;
    default:
      break;
  }
}

// A fault's share of calls: `percentage` if set, else the deprecated integer
// `percent` (Istio 1.4), else none (as Istio: an unset share injects nothing).
template <typename Fault>
envoy::type::v3::FractionalPercent FaultPercent(const Fault& fault) {
  return Percent(fault.has_percentage() ? fault.percentage().value() : fault.percent());
}

// `ns` is the VirtualService's namespace, in which short host names resolve.
void AddRouteAction(const PushContext& context, const Proxy& proxy, const net::HTTPRoute& http,
                    uint32_t default_port, const std::string& ns, route::Route* out) {
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
  // Destinations that take traffic: with several, those of weight > 0.
  std::vector<const net::HTTPRouteDestination*> taking;
  for (const auto& destination : http.route()) {
    if (http.route_size() == 1 || destination.weight() > 0) taking.push_back(&destination);
  }
  if (taking.size() == 1) {
    action->set_cluster(cluster_of(taking[0]->destination()));
  } else {
    // total_weight is always the sum of the weights sent: clients NACK a
    // weighted_clusters whose weights disagree with it.
    auto* weighted = action->mutable_weighted_clusters();
    uint32_t total = 0;
    for (const net::HTTPRouteDestination* destination : taking) {
      auto* cluster = weighted->add_clusters();
      cluster->set_name(cluster_of(destination->destination()));
      cluster->mutable_weight()->set_value(destination->weight());
      total += destination->weight();
    }
    weighted->mutable_total_weight()->set_value(total);
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
  // Consistent hashing, from the first destination's DestinationRule.
  if (http.route_size() > 0) {
    const net::Destination& first = http.route(0).destination();
    const std::string host = mesh::ToFqdn(ns, first.host(), context.cluster_domain());
    const auto* dr = context.DestinationRuleFor(proxy, host);
    AddHashPolicy(EffectivePolicy(dr ? dr->spec : nullptr, first.subset(),
                                  first.has_port() ? first.port().number() : default_port),
                  action);
  }
  if (http.has_fault()) {
    envoy::extensions::filters::http::fault::v3::HTTPFault fault;
    if (http.fault().has_delay() && http.fault().delay().has_fixed_delay()) {
      SetDuration(fault.mutable_delay()->mutable_fixed_delay(), http.fault().delay().fixed_delay());
      *fault.mutable_delay()->mutable_percentage() = FaultPercent(http.fault().delay());
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
      *out_abort->mutable_percentage() = FaultPercent(abort);
    }
    (*out->mutable_typed_per_filter_config())[kFaultFilter].PackFrom(fault);
  }
}

// Outlier detection as Istio maps it. consecutiveErrors is Istio 1.4's field
// (gateway failures, 5xx ejection off); consecutive5xxErrors and
// consecutiveGatewayErrors are later Istio's. Success-rate ejection is always
// off: Istio has no setting for it, and a client that runs it on unset
// parameters misbehaves.
void SetOutlierDetection(const net::OutlierDetection& in, Cluster& cluster) {
  auto* out = cluster.mutable_outlier_detection();
  if (in.consecutive_errors() > 0) {
    out->mutable_consecutive_gateway_failure()->set_value(in.consecutive_errors());
    out->mutable_enforcing_consecutive_gateway_failure()->set_value(100);
    out->mutable_enforcing_consecutive_5xx()->set_value(0);
  }
  if (in.has_consecutive_5xx_errors()) {
    const uint32_t errors = in.consecutive_5xx_errors().value();
    out->mutable_consecutive_5xx()->set_value(errors);
    out->mutable_enforcing_consecutive_5xx()->set_value(errors > 0 ? 100 : 0);
  }
  if (in.has_consecutive_gateway_errors()) {
    const uint32_t errors = in.consecutive_gateway_errors().value();
    out->mutable_consecutive_gateway_failure()->set_value(errors);
    out->mutable_enforcing_consecutive_gateway_failure()->set_value(errors > 0 ? 100 : 0);
  }
  out->mutable_enforcing_success_rate()->set_value(0);
  if (in.has_interval()) *out->mutable_interval() = in.interval();
  if (in.has_base_ejection_time()) *out->mutable_base_ejection_time() = in.base_ejection_time();
  if (in.max_ejection_percent() > 0) {
    out->mutable_max_ejection_percent()->set_value(in.max_ejection_percent());
  }
  // Istio 1.4: minHealthPercent is the panic threshold (0 turns panic mode off).
  cluster.mutable_common_lb_config()->mutable_healthy_panic_threshold()->set_value(
      in.min_health_percent());
}

bool AnyFault(const net::VirtualService* vs) {
  if (vs == nullptr) return false;
  for (const auto& http : vs->http()) {
    if (http.has_fault()) return true;
  }
  return false;
}

route::RouteConfiguration BuildRouteConfiguration(const PushContext& context, const Proxy& proxy,
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
  const auto* vs = context.VirtualServiceFor(proxy, service.host);
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
        AddRouteAction(context, proxy, http, port.number, vs->resource->namespace_name, r);
      }
    }
  }
  if (!has_catch_all) {
    // The default route: everything else to the service itself.
    auto* r = vhost->add_routes();
    r->set_name("default");
    r->mutable_match()->set_prefix("");
    r->mutable_route()->set_cluster(ClusterName(port.number, "", service.host));
    // The service's own cluster may be ring-hash: its route carries the hash.
    const auto* dr = context.DestinationRuleFor(proxy, service.host);
    AddHashPolicy(EffectivePolicy(dr ? dr->spec : nullptr, "", port.number), r->mutable_route());
  }
  return config;
}

}  // namespace

std::string ClusterName(uint32_t port, const std::string& subset, const std::string& host) {
  return absl::StrCat("outbound|", port, "|", subset, "|", host);
}

std::shared_ptr<const xds::TypeResources> GenerateOutboundListeners(const PushContext& context,
                                                                    const Proxy& proxy) {
  Builder builder;
  for (const ServiceInfo& service : context.services()) {
    if (!context.Visible(proxy, service.host)) continue;  // exportTo, Sidecar
    const auto* vs = context.VirtualServiceFor(proxy, service.host);
    const bool fault = AnyFault(vs != nullptr ? vs->spec : nullptr);
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
      ApplyListenerPatches(
          context,
          PatchTarget{.inbound = false, .port = port.number, .port_name = port.name,
                      .workload_namespace = proxy.namespace_name},
          listener);
      builder.Add(name, listener);
    }
  }
  return builder.Done();
}

// Inbound listeners for xDS-enabled gRPC servers, one per endpoint address.
std::shared_ptr<const xds::TypeResources> GenerateInboundListeners(const PushContext& context,
                                                                   const Proxy&,
                                                                   PartCache* cache) {
  Builder builder;
  std::set<std::string> inbound;
  std::unordered_map<std::string, std::shared_ptr<const xds::XdsResource>> used;
  for (const ServiceInfo& service : context.services()) {
    for (const ServicePort& port : service.ports) {
      for (const Endpoint& endpoint : service.endpoints) {
        auto named = endpoint.ports.find(port.name);
        const uint32_t target = named != endpoint.ports.end() ? named->second
                                : port.target_port != 0       ? port.target_port
                                                              : port.number;
        const std::string address = absl::StrCat(endpoint.address, ":", target);
        if (!inbound.insert(address).second) continue;
        // Everything the listener is built from, besides the rules the
        // cache's owner watches.
        std::string key;
        if (cache != nullptr) {
          // The service's host and port number: mTLS and RBAC rules select
          // by them, so a ServiceEntry change leaves other listeners' keys
          // (and entries) as they were.
          key = absl::StrCat(address, "|", service.host, "|", port.number, "|", port.name, "|",
                             endpoint.workload, "|", service.namespace_name);
          for (const auto& [label, value] : endpoint.labels)
            absl::StrAppend(&key, "|", label, "=", value);
          if (auto hit = cache->entries.find(key); hit != cache->entries.end()) {
            builder.Add(hit->second);
            used.emplace(key, hit->second);
            continue;
          }
        }
        Listener listener =
            BuildInboundListener(context, service, port, endpoint, address,
                                 kServerListenerPrefix + address);
        const std::string workload_namespace =
            endpoint.workload.empty() ? service.namespace_name
                                      : endpoint.workload.substr(0, endpoint.workload.find('/'));
        ApplyListenerPatches(context,
                             PatchTarget{.inbound = true,
                                         .port = target,
                                         .port_name = port.name,
                                         .address = endpoint.address,
                                         .workload_labels = &endpoint.labels,
                                         .workload_namespace = workload_namespace},
                             listener);
        std::shared_ptr<const xds::XdsResource> built =
            builder.Add(kServerListenerPrefix + address, listener);
        if (cache != nullptr) {
          used.emplace(key, std::move(built));
          ++cache->built;
        }
      }
    }
  }
  // Only what this push used stays: the cache never outgrows the mesh.
  if (cache != nullptr) cache->entries = std::move(used);
  return builder.Done();
}

std::shared_ptr<const xds::TypeResources> GenerateRoutes(const PushContext& context,
                                                         const Proxy& proxy) {
  Builder builder;
  for (const ServiceInfo& service : context.services()) {
    if (!context.Visible(proxy, service.host)) continue;  // exportTo, Sidecar
    for (const ServicePort& port : service.ports) {
      route::RouteConfiguration config = BuildRouteConfiguration(context, proxy, service, port);
      ApplyRoutePatches(context,
                        PatchTarget{.inbound = false, .port = port.number,
                                    .workload_namespace = proxy.namespace_name},
                        config);
      builder.Add(config.name(), config);
    }
  }
  return builder.Done();
}

std::shared_ptr<const xds::TypeResources> GenerateClusters(const PushContext& context,
                                                           const Proxy& proxy) {
  Builder builder;
  for (const ServiceInfo& service : context.services()) {
    if (!context.Visible(proxy, service.host)) continue;  // exportTo, Sidecar
    const auto* dr = context.DestinationRuleFor(proxy, service.host);
    std::vector<std::string> subsets = {""};
    if (dr != nullptr) {
      for (const auto& subset : dr->spec->subsets()) subsets.push_back(subset.name());
    }
    for (const ServicePort& port : service.ports) {
      for (const std::string& subset : subsets) {
        const std::string name = ClusterName(port.number, subset, service.host);
        const net::TrafficPolicy policy =
            EffectivePolicy(dr ? dr->spec : nullptr, subset, port.number);
        Cluster cluster;
        cluster.set_name(name);
        cluster.set_type(Cluster::EDS);
        SetAds(cluster.mutable_eds_cluster_config()->mutable_eds_config());
        cluster.mutable_eds_cluster_config()->set_service_name(name);
        *cluster.mutable_connect_timeout() = context.mesh().connect_timeout();  // 10s by default
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
          SetOutlierDetection(policy.outlier_detection(), cluster);
        }
        if (auto tls = OutboundTlsContext(context, service, policy); tls.has_value()) {
          cluster.mutable_transport_socket()->set_name(kTlsTransportSocket);
          cluster.mutable_transport_socket()->mutable_typed_config()->PackFrom(*tls);
        }
        ApplyClusterPatches(context, proxy.namespace_name, service.host, subset, port.number,
                            cluster);
        builder.Add(name, cluster);
      }
    }
  }
  return builder.Done();
}

std::shared_ptr<const xds::TypeResources> GenerateEndpoints(const PushContext& context,
                                                            const Proxy& proxy) {
  Builder builder;
  for (const ServiceInfo& service : context.services()) {
    if (!context.Visible(proxy, service.host)) continue;  // exportTo, Sidecar
    const auto* dr = context.DestinationRuleFor(proxy, service.host);
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
        if (!proxy.locality.empty()) {
          const net::TrafficPolicy policy =
              EffectivePolicy(dr ? dr->spec : nullptr, subset, port.number);
          if (const auto* setting = context.LocalityLbFor(policy)) {
            // As Istio 1.4: failover needs outlier detection on the cluster.
            ApplyLocalityLb(*setting, policy.has_outlier_detection(), proxy.locality, assignment);
          }
        }
        builder.Add(name, assignment);
      }
    }
  }
  return builder.Done();
}

}  // namespace keel::pilot
