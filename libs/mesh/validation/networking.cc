// Validators for networking.istio.io kinds.
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/http/fault/v3/fault.pb.h"
#include "envoy/extensions/filters/http/rbac/v3/rbac.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "google/protobuf/util/json_util.h"
#include "libs/mesh/envoy_types.h"
#include "libs/mesh/validation/rules.h"
#include "libs/mesh/validation/validators.h"
#include "proto/istio/networking/v1alpha3/destination_rule.pb.h"
#include "proto/istio/networking/v1alpha3/envoy_filter.pb.h"
#include "proto/istio/networking/v1alpha3/gateway.pb.h"
#include "proto/istio/networking/v1alpha3/service_entry.pb.h"
#include "proto/istio/networking/v1alpha3/sidecar.pb.h"
#include "proto/istio/networking/v1alpha3/virtual_service.pb.h"
#include "proto/istio/networking/v1alpha3/workload_entry.pb.h"

namespace keel::mesh::validation {

namespace net = ::istio::networking::v1alpha3;

namespace {

std::string At(const std::string& base, int index) { return absl::StrCat(base, "[", index, "]"); }
std::string Dot(const std::string& base, const char* field) {
  return absl::StrCat(base, ".", field);
}

// Envoy's retry_on conditions (HTTP and gRPC); numeric HTTP codes are allowed too.
const std::set<std::string>& RetryOnPolicies() {
  static const auto* const kPolicies = new std::set<std::string>{"5xx",
                                                                 "gateway-error",
                                                                 "reset",
                                                                 "reset-before-request",
                                                                 "connect-failure",
                                                                 "envoy-ratelimited",
                                                                 "retriable-4xx",
                                                                 "refused-stream",
                                                                 "retriable-status-codes",
                                                                 "retriable-headers",
                                                                 "http3-post-connect-failure",
                                                                 "cancelled",
                                                                 "deadline-exceeded",
                                                                 "internal",
                                                                 "resource-exhausted",
                                                                 "unavailable"};
  return *kPolicies;
}

// gRPC status names Istio accepts in fault.abort.grpcStatus.
const std::set<std::string>& GrpcStatusNames() {
  static const auto* const kNames = new std::set<std::string>{"OK",
                                                              "CANCELLED",
                                                              "UNKNOWN",
                                                              "INVALID_ARGUMENT",
                                                              "DEADLINE_EXCEEDED",
                                                              "NOT_FOUND",
                                                              "ALREADY_EXISTS",
                                                              "PERMISSION_DENIED",
                                                              "RESOURCE_EXHAUSTED",
                                                              "FAILED_PRECONDITION",
                                                              "ABORTED",
                                                              "OUT_OF_RANGE",
                                                              "UNIMPLEMENTED",
                                                              "INTERNAL",
                                                              "UNAVAILABLE",
                                                              "DATA_LOSS",
                                                              "UNAUTHENTICATED"};
  return *kNames;
}

void ValidateStringMatch(const net::StringMatch& match, const std::string& field,
                         FieldErrors& errors) {
  switch (match.match_type_case()) {
    case net::StringMatch::kExact:
      break;
    case net::StringMatch::kPrefix:
      break;
    case net::StringMatch::kRegex:
      Check(errors, Dot(field, "regex"), CheckRegex(match.regex()));
      break;
    case net::StringMatch::MATCH_TYPE_NOT_SET:
      errors.Error(field, "one of exact, prefix or regex must be set");
      break;
  }
}

void ValidateGatewayNames(const google::protobuf::RepeatedPtrField<std::string>& gateways,
                          const std::string& field, FieldErrors& errors) {
  for (int i = 0; i < gateways.size(); ++i) {
    const std::string& gateway = gateways[i];
    if (gateway == "mesh") continue;
    std::vector<std::string> parts = absl::StrSplit(gateway, absl::MaxSplits('/', 1));
    if (parts.size() == 1) {
      Check(errors, At(field, i), CheckFqdn(gateway));
    } else if (parts[0].empty() || parts[1].empty()) {
      errors.Error(At(field, i), "config namespace and gateway name cannot be empty");
    } else if (!IsDns1123Label(parts[0])) {
      errors.Error(At(field, i), absl::StrCat("invalid value for namespace: \"", parts[0], "\""));
    } else if (!IsDns1123Label(parts[1])) {
      errors.Error(At(field, i),
                   absl::StrCat("invalid value for gateway name: \"", parts[1], "\""));
    }
  }
}

void ValidateDestination(const net::Destination& destination, const std::string& field,
                         FieldErrors& errors) {
  if (destination.host() == "*") {
    errors.Error(Dot(field, "host"), "invalid destination host *");
  } else {
    Check(errors, Dot(field, "host"), CheckWildcardDomain(destination.host()));
  }
  if (!destination.subset().empty() && !IsDns1123Label(destination.subset())) {
    errors.Error(Dot(field, "subset"),
                 absl::StrCat("subset name is invalid: ", destination.subset()));
  }
  if (destination.has_port()) {
    Check(errors, Dot(field, "port.number"), CheckPort(destination.port().number()));
  }
}

// Istio 1.4's rule: each weight is a percentage, and when a route has more
// than one destination the weights add up to 100 (gRPC clients also NACK a
// weighted_clusters whose weights disagree with its total).
template <typename Routes>
void ValidateWeights(const Routes& routes, const std::string& field, FieldErrors& errors) {
  int64_t total = 0;
  for (int i = 0; i < routes.size(); ++i) {
    if (routes[i].weight() < 0 || routes[i].weight() > 100) {
      errors.Error(At(field, i) + ".weight",
                   absl::StrCat("percentage ", routes[i].weight(), " is not in range 0..100"));
    }
    total += routes[i].weight();
  }
  if (routes.size() > 1 && total != 100) {
    errors.Error(field, absl::StrCat("total destination weight ", total, " != 100"));
  }
}

// The deprecated integer `percent` of a fault (Istio 1.4 accepted it beside
// `percentage`, which wins when both are set).
// `kind` is "delay" or "abort"; the warning is Istio's IST0002 text.
template <typename Fault>
void ValidateDeprecatedFaultPercent(const Fault& fault, const std::string& base, const char* kind,
                                    FieldErrors& errors) {
  if (fault.percent() == 0) return;
  if (fault.percent() < 0 || fault.percent() > 100) {
    errors.Error(Dot(base, "percent"),
                 absl::StrCat("percentage ", fault.percent(), " is not in range 0..100"));
  }
  errors.Warning(Dot(base, "percent"), absl::StrCat("HTTPRoute.fault.", kind,
                                                    ".percent is deprecated; use HTTPRoute.fault.",
                                                    kind, ".percentage"));
}

void ValidateHeaderOperations(const net::Headers& headers, const std::string& field,
                              FieldErrors& errors) {
  auto check_names = [&](const net::Headers::HeaderOperations& ops, const std::string& base,
                         bool request) {
    for (const auto& [name, value] : ops.set()) {
      Check(errors, absl::StrCat(base, ".set[\"", name, "\"]"),
            CheckHeaderOperationName(name, request));
    }
    for (const auto& [name, value] : ops.add()) {
      Check(errors, absl::StrCat(base, ".add[\"", name, "\"]"),
            CheckHeaderOperationName(name, request));
    }
    for (int i = 0; i < ops.remove_size(); ++i) {
      Check(errors, At(base + ".remove", i), CheckHeaderOperationName(ops.remove(i), false));
    }
  };
  if (headers.has_request()) check_names(headers.request(), Dot(field, "request"), true);
  if (headers.has_response()) check_names(headers.response(), Dot(field, "response"), false);
}

void ValidateHttpRoute(const net::HTTPRoute& route, const std::string& field,
                       FieldErrors& errors) {
  if (route.has_delegate()) {
    if (route.has_redirect())
      errors.Error(Dot(field, "redirect"),
                   absl::StrCat("root HTTP route ", route.name(), " must not specify redirect"));
    if (route.route_size() > 0)
      errors.Error(Dot(field, "route"),
                   absl::StrCat("root HTTP route ", route.name(), " must not specify route"));
  } else if (route.has_redirect()) {
    if (route.route_size() > 0)
      errors.Error(field, "HTTP route cannot contain both route and redirect");
    if (route.has_fault()) errors.Error(field, "HTTP route cannot contain both fault and redirect");
    if (route.has_rewrite())
      errors.Error(field, "HTTP route rule cannot contain both rewrite and redirect");
    if (route.has_direct_response())
      errors.Error(field, "HTTP route rule cannot contain both direct_response and redirect");
  } else if (route.has_direct_response()) {
    if (route.route_size() > 0)
      errors.Error(field, "HTTP route cannot contain both route and direct_response");
    if (route.has_fault())
      errors.Error(field, "HTTP route cannot contain both fault and direct_response");
    if (route.has_rewrite())
      errors.Error(field, "HTTP route rule cannot contain both rewrite and direct_response");
  } else if (route.route_size() == 0 && !route.has_delegate()) {
    errors.Error(field, "HTTP route, redirect or direct_response is required");
  }
  if (route.has_delegate()) {
    if (route.delegate().name().empty())
      errors.Error(Dot(field, "delegate.name"), "name is required");
    if (!route.delegate().namespace_().empty()) {
      Check(errors, Dot(field, "delegate.namespace"),
            CheckNamespaceName(route.delegate().namespace_()));
    }
  }
  for (int i = 0; i < route.match_size(); ++i) {
    const net::HTTPMatchRequest& match = route.match(i);
    const std::string base = At(field + ".match", i);
    if (match.has_uri()) ValidateStringMatch(match.uri(), Dot(base, "uri"), errors);
    if (match.has_scheme()) ValidateStringMatch(match.scheme(), Dot(base, "scheme"), errors);
    if (match.has_method()) ValidateStringMatch(match.method(), Dot(base, "method"), errors);
    if (match.has_authority())
      ValidateStringMatch(match.authority(), Dot(base, "authority"), errors);
    for (const auto& [name, value] : match.headers()) {
      const std::string header_field = absl::StrCat(base, ".headers[\"", name, "\"]");
      Check(errors, header_field, CheckHeaderName(name));
      if (value.match_type_case() == net::StringMatch::kRegex) {
        Check(errors, header_field + ".regex", CheckRegex(value.regex()));
      }
    }
    for (const auto& [name, value] : match.without_headers()) {
      Check(errors, absl::StrCat(base, ".withoutHeaders[\"", name, "\"]"), CheckHeaderName(name));
    }
    for (const auto& [name, value] : match.query_params()) {
      if (value.match_type_case() == net::StringMatch::kRegex) {
        Check(errors, absl::StrCat(base, ".queryParams[\"", name, "\"].regex"),
              CheckRegex(value.regex()));
      }
    }
    if (match.port() != 0) Check(errors, Dot(base, "port"), CheckPort(match.port()));
    Check(errors, Dot(base, "sourceLabels"),
          CheckLabels(std::map<std::string, std::string>(match.source_labels().begin(),
                                                         match.source_labels().end())));
    ValidateGatewayNames(match.gateways(), Dot(base, "gateways"), errors);
  }
  for (int i = 0; i < route.route_size(); ++i) {
    const std::string base = At(field + ".route", i);
    if (!route.route(i).has_destination()) {
      errors.Error(Dot(base, "destination"), "destination is required");
    } else {
      ValidateDestination(route.route(i).destination(), Dot(base, "destination"), errors);
    }
    if (route.route(i).has_headers())
      ValidateHeaderOperations(route.route(i).headers(), Dot(base, "headers"), errors);
  }
  ValidateWeights(route.route(), field + ".route", errors);
  if (route.has_timeout()) Check(errors, Dot(field, "timeout"), CheckDuration(route.timeout()));
  if (route.has_retries()) {
    const net::HTTPRetry& retries = route.retries();
    if (retries.attempts() < 0)
      errors.Error(Dot(field, "retries.attempts"), "attempts cannot be negative");
    if (retries.attempts() == 0 && (retries.has_per_try_timeout() || !retries.retry_on().empty() ||
                                    retries.has_retry_remote_localities())) {
      errors.Error(Dot(field, "retries"),
                   "http retry policy configured when attempts are set to 0 (disabled)");
    }
    if (retries.has_backoff())
      Check(errors, Dot(field, "retries.backoff"), CheckDuration(retries.backoff()));
    if (retries.has_per_try_timeout()) {
      Check(errors, Dot(field, "retries.perTryTimeout"), CheckDuration(retries.per_try_timeout()));
    }
    if (!retries.retry_on().empty()) {
      for (absl::string_view policy : absl::StrSplit(retries.retry_on(), ',')) {
        const std::string token(policy);
        int code = 0;
        if (RetryOnPolicies().count(token) == 0 &&
            !(absl::SimpleAtoi(token, &code) && code >= 100 && code <= 599)) {
          errors.Error(Dot(field, "retries.retryOn"),
                       absl::StrCat("\"", token, "\" is not a valid retryOn policy"));
        }
      }
    }
  }
  if (route.has_fault()) {
    const net::HTTPFaultInjection& fault = route.fault();
    if (!fault.has_delay() && !fault.has_abort()) {
      errors.Error(Dot(field, "fault"), "HTTP fault injection must have an abort and/or a delay");
    }
    if (fault.has_delay()) {
      const auto& delay = fault.delay();
      const std::string base = Dot(field, "fault.delay");
      if (delay.has_percentage())
        Check(errors, Dot(base, "percentage.value"), CheckPercent(delay.percentage().value()));
      ValidateDeprecatedFaultPercent(delay, base, "delay", errors);
      switch (delay.http_delay_type_case()) {
        case net::HTTPFaultInjection::Delay::kFixedDelay:
          Check(errors, Dot(base, "fixedDelay"), CheckDuration(delay.fixed_delay()));
          break;
        case net::HTTPFaultInjection::Delay::kExponentialDelay:
          Check(errors, Dot(base, "exponentialDelay"), CheckDuration(delay.exponential_delay()));
          errors.Error(Dot(base, "exponentialDelay"), "exponentialDelay not supported yet");
          break;
        default:
          errors.Error(base, "delay must set fixedDelay");
      }
    }
    if (fault.has_abort()) {
      const auto& abort = fault.abort();
      const std::string base = Dot(field, "fault.abort");
      if (abort.has_percentage())
        Check(errors, Dot(base, "percentage.value"), CheckPercent(abort.percentage().value()));
      ValidateDeprecatedFaultPercent(abort, base, "abort", errors);
      switch (abort.error_type_case()) {
        case net::HTTPFaultInjection::Abort::kHttpStatus:
          if (abort.http_status() < 200 || abort.http_status() > 599) {
            errors.Error(Dot(base, "httpStatus"), absl::StrCat("HTTP status ", abort.http_status(),
                                                               " is not in range 200-599"));
          }
          break;
        case net::HTTPFaultInjection::Abort::kGrpcStatus:
          if (GrpcStatusNames().count(abort.grpc_status()) == 0) {
            errors.Error(Dot(base, "grpcStatus"),
                         absl::StrCat("gRPC status \"", abort.grpc_status(),
                                      "\" is not supported. See "
                                      "https://github.com/grpc/grpc/blob/master/doc/statuscodes.md "
                                      "for a list of supported codes, for example 'NOT_FOUND'"));
          }
          break;
        case net::HTTPFaultInjection::Abort::kHttp2Error:
          errors.Error(Dot(base, "http2Error"), "HTTP/2 abort fault injection not supported yet");
          break;
        default:
          errors.Warning(base, "abort configured, but error type not set");
      }
    }
  }
  if (route.has_mirror()) ValidateDestination(route.mirror(), Dot(field, "mirror"), errors);
  if (route.has_mirror_percentage()) {
    Check(errors, Dot(field, "mirrorPercentage.value"),
          CheckPercent(route.mirror_percentage().value()));
  }
  for (int i = 0; i < route.mirrors_size(); ++i) {
    ValidateDestination(route.mirrors(i).destination(), At(field + ".mirrors", i) + ".destination",
                        errors);
    if (route.mirrors(i).has_percentage()) {
      Check(errors, At(field + ".mirrors", i) + ".percentage.value",
            CheckPercent(route.mirrors(i).percentage().value()));
    }
  }
  if (route.has_mirror() && route.mirrors_size() > 0) {
    errors.Error(field, "HTTP route cannot contain both mirror and mirrors");
  }
  if (route.has_rewrite()) {
    if (!route.rewrite().uri().empty() && route.rewrite().has_uri_regex_rewrite()) {
      errors.Error(Dot(field, "rewrite"), "rewrite may only contain one of URI or UriRegexRewrite");
    }
    if (route.rewrite().has_uri_regex_rewrite()) {
      Check(errors, Dot(field, "rewrite.uriRegexRewrite.match"),
            CheckRegex(route.rewrite().uri_regex_rewrite().match()));
    }
  }
  if (route.has_redirect()) {
    const auto& redirect = route.redirect();
    if (redirect.uri().empty() && redirect.authority().empty() && redirect.scheme().empty() &&
        redirect.redirect_port_case() == net::HTTPRedirect::REDIRECT_PORT_NOT_SET) {
      errors.Error(Dot(field, "redirect"), "redirect must specify URI, authority, scheme, or port");
    }
    if (redirect.redirect_code() != 0 &&
        (redirect.redirect_code() < 300 || redirect.redirect_code() > 399)) {
      errors.Error(
          Dot(field, "redirect.redirectCode"),
          absl::StrCat(redirect.redirect_code(), " is not a valid redirect code, must be 3xx"));
    }
    if (redirect.redirect_port_case() == net::HTTPRedirect::kPort) {
      Check(errors, Dot(field, "redirect.port"), CheckPort(redirect.port()));
    }
  }
  if (route.has_direct_response()) {
    const uint32_t status = route.direct_response().status();
    if (status < 200 || status > 599) {
      errors.Error(Dot(field, "directResponse.status"),
                   absl::StrCat("HTTP status ", status, " is not in range 200-599"));
    }
  }
  if (route.has_cors_policy()) {
    const auto& cors = route.cors_policy();
    for (int i = 0; i < cors.allow_methods_size(); ++i) {
      if (!IsHttpMethod(cors.allow_methods(i))) {
        errors.Error(
            At(field + ".corsPolicy.allowMethods", i),
            absl::StrCat("\"", cors.allow_methods(i), "\" is not a supported HTTP method"));
      }
    }
    for (int i = 0; i < cors.allow_origins_size(); ++i) {
      ValidateStringMatch(cors.allow_origins(i), At(field + ".corsPolicy.allowOrigins", i), errors);
    }
    if (cors.has_max_age()) {
      if (cors.max_age().nanos() != 0) {
        errors.Error(Dot(field, "corsPolicy.maxAge"),
                     "max_age duration is accurate only to seconds precision");
      }
    }
    for (int i = 0; i < cors.allow_headers_size(); ++i) {
      if (cors.allow_headers(i).empty())
        errors.Error(At(field + ".corsPolicy.allowHeaders", i), "empty header name");
    }
  }
  if (route.has_headers()) ValidateHeaderOperations(route.headers(), Dot(field, "headers"), errors);
}

void ValidateTcpLikeRoutes(const google::protobuf::RepeatedPtrField<net::RouteDestination>& routes,
                           const std::string& field, bool tcp, FieldErrors& errors) {
  if (routes.empty()) errors.Error(field, absl::StrCat(tcp ? "TCP" : "TLS", " route is required"));
  for (int i = 0; i < routes.size(); ++i) {
    if (!routes[i].has_destination()) {
      errors.Error(At(field, i) + ".destination", "destination is required");
      continue;
    }
    ValidateDestination(routes[i].destination(), At(field, i) + ".destination", errors);
  }
  ValidateWeights(routes, field, errors);
}

}  // namespace

void ValidateVirtualService(const Resource& resource, FieldErrors& errors) {
  const auto& vs = static_cast<const net::VirtualService&>(*resource.spec);
  // Istio 1.4 has no delegate VirtualServices (1.8 added them): every one
  // names its hosts.
  if (vs.hosts_size() == 0) {
    errors.Error("spec.hosts", "virtual service must have at least one host");
  }
  bool applies_to_mesh = vs.gateways_size() == 0;
  for (const std::string& gateway : vs.gateways()) applies_to_mesh |= gateway == "mesh";
  std::map<std::string, std::string> seen_hosts;
  for (int i = 0; i < vs.hosts_size(); ++i) {
    const std::string& host = vs.hosts(i);
    const std::string field = At("spec.hosts", i);
    auto [it, inserted] = seen_hosts.emplace(absl::AsciiStrToLower(host), host);
    if (!inserted) {
      errors.Error(field,
                   absl::StrCat("duplicate hosts in virtual service: ", it->second, " & ", host));
    }
    if (host == "*" && applies_to_mesh) {
      errors.Error(field,
                   "wildcard host * is not allowed for virtual services bound to the mesh gateway");
      continue;
    }
    if (CheckIp(host).empty()) continue;  // an IP address is a valid host
    Check(errors, field, CheckWildcardDomain(host));
  }
  ValidateGatewayNames(vs.gateways(), "spec.gateways", errors);
  if (vs.http_size() == 0 && vs.tcp_size() == 0 && vs.tls_size() == 0) {
    errors.Error("spec", "http, tcp or tls must be provided in virtual service");
  }
  std::set<std::string> route_names;
  for (int i = 0; i < vs.http_size(); ++i) {
    const std::string field = At("spec.http", i);
    if (!vs.http(i).name().empty() && !route_names.insert(vs.http(i).name()).second) {
      errors.Warning(Dot(field, "name"),
                     absl::StrCat("duplicate route name \"", vs.http(i).name(), "\""));
    }
    ValidateHttpRoute(vs.http(i), field, errors);
  }
  for (int i = 0; i < vs.tcp_size(); ++i) {
    const std::string field = At("spec.tcp", i);
    for (int j = 0; j < vs.tcp(i).match_size(); ++j) {
      const auto& match = vs.tcp(i).match(j);
      const std::string base = At(field + ".match", j);
      for (int k = 0; k < match.destination_subnets_size(); ++k) {
        Check(errors, At(base + ".destinationSubnets", k),
              CheckIpOrCidr(match.destination_subnets(k)));
      }
      if (match.port() != 0) Check(errors, Dot(base, "port"), CheckPort(match.port()));
      ValidateGatewayNames(match.gateways(), Dot(base, "gateways"), errors);
    }
    ValidateTcpLikeRoutes(vs.tcp(i).route(), field + ".route", /*tcp=*/true, errors);
  }
  for (int i = 0; i < vs.tls_size(); ++i) {
    const std::string field = At("spec.tls", i);
    if (vs.tls(i).match_size() == 0)
      errors.Error(Dot(field, "match"), "TLS route must have at least one match condition");
    for (int j = 0; j < vs.tls(i).match_size(); ++j) {
      const auto& match = vs.tls(i).match(j);
      const std::string base = At(field + ".match", j);
      if (match.sni_hosts_size() == 0)
        errors.Error(Dot(base, "sniHosts"), "TLS match must have at least one SNI host");
      for (int k = 0; k < match.sni_hosts_size(); ++k) {
        Check(errors, At(base + ".sniHosts", k), CheckWildcardDomain(match.sni_hosts(k)));
      }
      for (int k = 0; k < match.destination_subnets_size(); ++k) {
        Check(errors, At(base + ".destinationSubnets", k),
              CheckIpOrCidr(match.destination_subnets(k)));
      }
      if (match.port() != 0) Check(errors, Dot(base, "port"), CheckPort(match.port()));
    }
    ValidateTcpLikeRoutes(vs.tls(i).route(), field + ".route", /*tcp=*/false, errors);
  }
  Check(errors, "spec.exportTo", CheckExportTo(vs.export_to()));
}

namespace {

void ValidateLoadBalancer(const net::LoadBalancerSettings& lb, const std::string& field,
                          FieldErrors& errors) {
  if (lb.lb_policy_case() == net::LoadBalancerSettings::kConsistentHash) {
    const auto& hash = lb.consistent_hash();
    const std::string base = Dot(field, "consistentHash");
    switch (hash.hash_key_case()) {
      case net::LoadBalancerSettings::ConsistentHashLB::kHttpHeaderName:
        Check(errors, Dot(base, "httpHeaderName"),
              CheckHeaderName(absl::AsciiStrToLower(hash.http_header_name())));
        break;
      case net::LoadBalancerSettings::ConsistentHashLB::kHttpCookie:
        if (hash.http_cookie().name().empty())
          errors.Error(Dot(base, "httpCookie.name"), "name required for HttpCookie");
        break;
      case net::LoadBalancerSettings::ConsistentHashLB::kHttpQueryParameterName:
        if (hash.http_query_parameter_name().empty()) {
          errors.Error(Dot(base, "httpQueryParameterName"), "query parameter name required");
        }
        break;
      case net::LoadBalancerSettings::ConsistentHashLB::HASH_KEY_NOT_SET:
        break;
      default:
        break;
    }
    if (hash.minimum_ring_size() > 0 && (hash.has_ring_hash() || hash.has_maglev())) {
      errors.Error(Dot(base, "minimumRingSize"),
                   "only one of MinimumRingSize or Maglev/Ringhash can be specified");
    }
  }
  if (lb.has_locality_lb_setting()) {
    const auto& locality = lb.locality_lb_setting();
    for (int i = 0; i < locality.distribute_size(); ++i) {
      uint32_t total = 0;
      for (const auto& [to, weight] : locality.distribute(i).to()) {
        if (weight == 0 || weight > 100) {
          errors.Error(At(field + ".localityLbSetting.distribute", i) + ".to",
                       "locality weight must be in range [1, 100]");
        }
        total += weight;
      }
      if (total != 100) {
        errors.Error(At(field + ".localityLbSetting.distribute", i) + ".to",
                     absl::StrCat("total locality weight ", total, " != 100"));
      }
    }
    if (locality.distribute_size() > 0 && locality.failover_size() > 0) {
      errors.Error(Dot(field, "localityLbSetting"),
                   "can not simultaneously specify 'distribute' and 'failover'");
    }
  }
}

void ValidateTrafficPolicy(const net::TrafficPolicy& policy, const std::string& field,
                           FieldErrors& errors) {
  if (policy.has_load_balancer())
    ValidateLoadBalancer(policy.load_balancer(), Dot(field, "loadBalancer"), errors);
  if (policy.has_connection_pool()) {
    const auto& pool = policy.connection_pool();
    const std::string base = Dot(field, "connectionPool");
    if (pool.has_http()) {
      const auto& http = pool.http();
      if (http.http1_max_pending_requests() < 0)
        errors.Error(Dot(base, "http.http1MaxPendingRequests"),
                     "http1 max pending requests must be non-negative");
      if (http.http2_max_requests() < 0)
        errors.Error(Dot(base, "http.http2MaxRequests"), "http2 max requests must be non-negative");
      if (http.max_requests_per_connection() < 0)
        errors.Error(Dot(base, "http.maxRequestsPerConnection"),
                     "max requests per connection must be non-negative");
      if (http.max_retries() < 0)
        errors.Error(Dot(base, "http.maxRetries"), "max retries must be non-negative");
      if (http.has_idle_timeout())
        Check(errors, Dot(base, "http.idleTimeout"), CheckDuration(http.idle_timeout()));
    }
    if (pool.has_tcp()) {
      const auto& tcp = pool.tcp();
      if (tcp.max_connections() < 0)
        errors.Error(Dot(base, "tcp.maxConnections"), "max connections must be non-negative");
      if (tcp.has_connect_timeout())
        Check(errors, Dot(base, "tcp.connectTimeout"), CheckDuration(tcp.connect_timeout()));
    }
  }
  if (policy.has_outlier_detection()) {
    const auto& outlier = policy.outlier_detection();
    const std::string base = Dot(field, "outlierDetection");
    if (outlier.consecutive_errors() != 0) {
      errors.Warning(Dot(base, "consecutiveErrors"),
                     "outlier detection consecutive errors is deprecated, use "
                     "consecutiveGatewayErrors or consecutive5xxErrors instead");
    }
    if (outlier.has_interval())
      Check(errors, Dot(base, "interval"), CheckDuration(outlier.interval()));
    if (outlier.has_base_ejection_time())
      Check(errors, Dot(base, "baseEjectionTime"), CheckDuration(outlier.base_ejection_time()));
    if (outlier.max_ejection_percent() < 0 || outlier.max_ejection_percent() > 100) {
      errors.Error(
          Dot(base, "maxEjectionPercent"),
          absl::StrCat("percentage ", outlier.max_ejection_percent(), " is not in range 0..100"));
    }
    if (outlier.min_health_percent() < 0 || outlier.min_health_percent() > 100) {
      errors.Error(
          Dot(base, "minHealthPercent"),
          absl::StrCat("percentage ", outlier.min_health_percent(), " is not in range 0..100"));
    }
  }
  if (policy.has_tls()) {
    const auto& tls = policy.tls();
    const std::string base = Dot(field, "tls");
    if (tls.mode() == net::ClientTLSSettings::MUTUAL && tls.credential_name().empty()) {
      if (tls.client_certificate().empty())
        errors.Error(Dot(base, "clientCertificate"), "client certificate required for mutual tls");
      if (tls.private_key().empty())
        errors.Error(Dot(base, "privateKey"), "private key required for mutual tls");
    }
    if (tls.mode() == net::ClientTLSSettings::ISTIO_MUTUAL ||
        tls.mode() == net::ClientTLSSettings::DISABLE) {
      if (!tls.ca_certificates().empty() || !tls.client_certificate().empty() ||
          !tls.private_key().empty() || !tls.credential_name().empty()) {
        errors.Error(base, "cannot specify certificates or credentialName with mode " +
                               net::ClientTLSSettings::TLSmode_Name(tls.mode()));
      }
    }
  }
  for (int i = 0; i < policy.port_level_settings_size(); ++i) {
    const auto& port_policy = policy.port_level_settings(i);
    const std::string base = At(field + ".portLevelSettings", i);
    if (!port_policy.has_port()) {
      errors.Error(Dot(base, "port"), "portTrafficPolicy must have valid port");
    } else {
      Check(errors, Dot(base, "port.number"), CheckPort(port_policy.port().number()));
    }
    if (port_policy.has_load_balancer())
      ValidateLoadBalancer(port_policy.load_balancer(), Dot(base, "loadBalancer"), errors);
  }
}

}  // namespace

void ValidateDestinationRule(const Resource& resource, FieldErrors& errors) {
  const auto& dr = static_cast<const net::DestinationRule&>(*resource.spec);
  if (dr.host().empty()) {
    errors.Error("spec.host", "host is required");
  } else {
    Check(errors, "spec.host", CheckWildcardDomain(dr.host()));
  }
  if (dr.has_traffic_policy())
    ValidateTrafficPolicy(dr.traffic_policy(), "spec.trafficPolicy", errors);
  std::set<std::string> names;
  for (int i = 0; i < dr.subsets_size(); ++i) {
    const auto& subset = dr.subsets(i);
    const std::string field = At("spec.subsets", i);
    if (subset.name().empty()) {
      errors.Error(Dot(field, "name"), "subset name cannot be empty");
    } else if (!IsDns1123Label(subset.name())) {
      errors.Error(Dot(field, "name"), absl::StrCat("subset name is invalid: ", subset.name()));
    } else if (!names.insert(subset.name()).second) {
      errors.Error(Dot(field, "name"), absl::StrCat("duplicate subset names: ", subset.name()));
    }
    Check(errors, Dot(field, "labels"),
          CheckLabels(
              std::map<std::string, std::string>(subset.labels().begin(), subset.labels().end())));
    if (subset.has_traffic_policy())
      ValidateTrafficPolicy(subset.traffic_policy(), Dot(field, "trafficPolicy"), errors);
  }
  Check(errors, "spec.exportTo", CheckExportTo(dr.export_to()));
  if (dr.has_workload_selector()) {
    Check(errors, "spec.workloadSelector.matchLabels",
          CheckLabels(
              std::map<std::string, std::string>(dr.workload_selector().match_labels().begin(),
                                                 dr.workload_selector().match_labels().end())));
  }
}

void ValidateGateway(const Resource& resource, FieldErrors& errors) {
  const auto& gw = static_cast<const net::Gateway&>(*resource.spec);
  if (gw.servers_size() == 0) errors.Error("spec.servers", "gateway must have at least one server");
  std::set<std::string> port_names;
  for (int i = 0; i < gw.servers_size(); ++i) {
    const auto& server = gw.servers(i);
    const std::string field = At("spec.servers", i);
    if (server.hosts_size() == 0)
      errors.Error(Dot(field, "hosts"), "server config must contain at least one host");
    for (int j = 0; j < server.hosts_size(); ++j) {
      const std::string& host = server.hosts(j);
      // Gateway hosts are "[namespace/]dnsName".
      Check(errors, At(field + ".hosts", j), CheckNamespacedHost(host, /*gateway=*/true));
    }
    if (!server.has_port()) {
      errors.Error(Dot(field, "port"), "port is required");
    } else {
      const auto& port = server.port();
      Check(errors, Dot(field, "port.number"), CheckPort(port.number()));
      if (port.protocol().empty())
        errors.Error(Dot(field, "port.protocol"), "protocol must be set for server port");
      if (port.name().empty()) {
        errors.Error(Dot(field, "port.name"), "port name must be set");
      } else if (!port_names.insert(port.name()).second) {
        errors.Error(Dot(field, "port.name"),
                     absl::StrCat("port names in servers must be unique: duplicate name \"",
                                  port.name(), "\""));
      }
      const std::string protocol = absl::AsciiStrToUpper(port.protocol());
      static const std::set<std::string> kProtocols = {"HTTP",  "HTTPS", "GRPC",  "GRPC-WEB",
                                                       "HTTP2", "MONGO", "REDIS", "MYSQL",
                                                       "TCP",   "TLS",   "UDP"};
      if (!port.protocol().empty() && kProtocols.count(protocol) == 0) {
        errors.Error(Dot(field, "port.protocol"),
                     absl::StrCat("unrecognized protocol \"", port.protocol(), "\""));
      }
      if ((protocol == "HTTPS" || protocol == "TLS") && !server.has_tls()) {
        errors.Error(Dot(field, "tls"), "server must have TLS settings for HTTPS/TLS protocols");
      }
    }
    if (server.has_tls()) {
      const auto& tls = server.tls();
      const std::string base = Dot(field, "tls");
      using TLS = net::ServerTLSSettings;
      if ((tls.mode() == TLS::SIMPLE || tls.mode() == TLS::MUTUAL) &&
          tls.credential_name().empty() && tls.credential_names_size() == 0 &&
          tls.tls_certificates_size() == 0) {
        if (tls.server_certificate().empty())
          errors.Error(Dot(base, "serverCertificate"), "server certificate required for " +
                                                           TLS::TLSmode_Name(tls.mode()) + " mode");
        if (tls.private_key().empty())
          errors.Error(Dot(base, "privateKey"),
                       "private key required for " + TLS::TLSmode_Name(tls.mode()) + " mode");
        if (tls.mode() == TLS::MUTUAL && tls.ca_certificates().empty()) {
          errors.Error(Dot(base, "caCertificates"), "client CA bundle required for MUTUAL mode");
        }
      }
    }
    if (!server.bind().empty()) {
      if (CheckIp(server.bind()).empty() == false && !absl::StartsWith(server.bind(), "unix://")) {
        errors.Error(
            Dot(field, "bind"),
            absl::StrCat("\"", server.bind(), "\" is not a valid IP address or unix socket"));
      }
    }
  }
  Check(
      errors, "spec.selector",
      CheckLabels(std::map<std::string, std::string>(gw.selector().begin(), gw.selector().end())));
}

void ValidateServiceEntry(const Resource& resource, FieldErrors& errors) {
  const auto& se = static_cast<const net::ServiceEntry&>(*resource.spec);
  if (se.hosts_size() == 0) errors.Error("spec.hosts", "service entry must have at least one host");
  for (int i = 0; i < se.hosts_size(); ++i) {
    const std::string& host = se.hosts(i);
    if (host == "*") {
      errors.Error(At("spec.hosts", i), "invalid host *");
      continue;
    }
    Check(errors, At("spec.hosts", i), CheckWildcardDomain(host));
  }
  for (int i = 0; i < se.addresses_size(); ++i) {
    Check(errors, At("spec.addresses", i), CheckIpOrCidr(se.addresses(i)));
  }
  std::set<uint32_t> port_numbers;
  std::set<std::string> port_names;
  for (int i = 0; i < se.ports_size(); ++i) {
    const auto& port = se.ports(i);
    const std::string field = At("spec.ports", i);
    Check(errors, Dot(field, "number"), CheckPort(port.number()));
    if (port.target_port() != 0)
      Check(errors, Dot(field, "targetPort"), CheckPort(port.target_port()));
    if (port.name().empty()) {
      errors.Error(Dot(field, "name"), "port name must be set");
    } else if (!port_names.insert(port.name()).second) {
      errors.Error(Dot(field, "name"), absl::StrCat("duplicate port name \"", port.name(), "\""));
    }
    if (!port_numbers.insert(port.number()).second) {
      errors.Error(Dot(field, "number"), absl::StrCat("duplicate port number ", port.number()));
    }
  }
  const bool has_selector = se.has_workload_selector();
  if (has_selector && se.endpoints_size() > 0) {
    errors.Error("spec.workloadSelector",
                 "only one of workloadSelector or endpoints is allowed in service entry");
  }
  if (has_selector) {
    Check(errors, "spec.workloadSelector.labels",
          CheckLabels(std::map<std::string, std::string>(se.workload_selector().labels().begin(),
                                                         se.workload_selector().labels().end())));
  }
  switch (se.resolution()) {
    case net::ServiceEntry::NONE:
      if (se.endpoints_size() > 0) {
        errors.Error("spec.endpoints", "no endpoints should be provided for resolution type none");
      }
      break;
    case net::ServiceEntry::STATIC:
      if (se.endpoints_size() == 0 && !has_selector) {
        errors.Warning("spec.endpoints", "no endpoints provided for resolution type STATIC");
      }
      for (int i = 0; i < se.endpoints_size(); ++i) {
        const std::string& address = se.endpoints(i).address();
        if (!absl::StartsWith(address, "unix://") && !CheckIp(address).empty()) {
          errors.Error(
              At("spec.endpoints", i) + ".address",
              absl::StrCat("endpoint address \"", address, "\" is not a valid IP address"));
        }
      }
      break;
    case net::ServiceEntry::DNS:
    case net::ServiceEntry::DNS_ROUND_ROBIN:
      if (se.endpoints_size() == 0) {
        for (int i = 0; i < se.hosts_size(); ++i) {
          if (absl::StrContains(se.hosts(i), "*")) {
            errors.Error(At("spec.hosts", i),
                         "wildcard host not allowed with DNS resolution without endpoints");
          }
        }
      }
      for (int i = 0; i < se.endpoints_size(); ++i) {
        const std::string& address = se.endpoints(i).address();
        if (!CheckIp(address).empty())
          Check(errors, At("spec.endpoints", i) + ".address", CheckFqdn(address));
      }
      break;
    default:
      break;
  }
  for (int i = 0; i < se.endpoints_size(); ++i) {
    const auto& endpoint = se.endpoints(i);
    const std::string field = At("spec.endpoints", i);
    Check(errors, Dot(field, "labels"),
          CheckLabels(std::map<std::string, std::string>(endpoint.labels().begin(),
                                                         endpoint.labels().end())));
    for (const auto& [name, number] : endpoint.ports()) {
      if (port_names.count(name) == 0) {
        errors.Error(
            absl::StrCat(field, ".ports[\"", name, "\"]"),
            absl::StrCat("endpoint port \"", name, "\" is not defined by the service entry"));
      }
      Check(errors, absl::StrCat(field, ".ports[\"", name, "\"]"), CheckPort(number));
    }
  }
  Check(errors, "spec.exportTo", CheckExportTo(se.export_to()));
}

void ValidateWorkloadEntry(const Resource& resource, FieldErrors& errors) {
  const auto& we = static_cast<const net::WorkloadEntry&>(*resource.spec);
  if (we.address().empty()) {
    if (we.network().empty()) errors.Error("spec.address", "address is required");
  } else if (!absl::StartsWith(we.address(), "unix://") && !CheckIp(we.address()).empty()) {
    Check(errors, "spec.address", CheckFqdn(we.address()));
  }
  Check(errors, "spec.labels",
        CheckLabels(std::map<std::string, std::string>(we.labels().begin(), we.labels().end())));
  for (const auto& [name, number] : we.ports()) {
    Check(errors, absl::StrCat("spec.ports[\"", name, "\"]"), CheckPort(number));
  }
  if (!we.service_account().empty() && !IsDns1123Subdomain(we.service_account())) {
    errors.Error("spec.serviceAccount",
                 absl::StrCat("invalid service account \"", we.service_account(), "\""));
  }
}

void ValidateSidecar(const Resource& resource, FieldErrors& errors) {
  const auto& sidecar = static_cast<const net::Sidecar&>(*resource.spec);
  if (sidecar.has_workload_selector()) {
    if (sidecar.workload_selector().labels().empty()) {
      errors.Error("spec.workloadSelector.labels",
                   "sidecar: workloadSelector cannot have empty labels");
    }
    Check(errors, "spec.workloadSelector.labels",
          CheckLabels(
              std::map<std::string, std::string>(sidecar.workload_selector().labels().begin(),
                                                 sidecar.workload_selector().labels().end())));
  }
  if (sidecar.egress_size() == 0) errors.Error("spec.egress", "sidecar: missing egress");
  bool catch_all = false;
  for (int i = 0; i < sidecar.egress_size(); ++i) {
    const auto& egress = sidecar.egress(i);
    const std::string field = At("spec.egress", i);
    if (!egress.has_port()) {
      if (catch_all)
        errors.Error(field, "sidecar: the egress listener with empty port should be the only one");
      catch_all = true;
    } else {
      Check(errors, Dot(field, "port.number"), CheckPort(egress.port().number()));
    }
    if (egress.hosts_size() == 0)
      errors.Error(Dot(field, "hosts"), "sidecar: egress listener must contain at least one host");
    for (int j = 0; j < egress.hosts_size(); ++j) {
      Check(errors, At(field + ".hosts", j),
            CheckNamespacedHost(egress.hosts(j), /*gateway=*/false));
    }
  }
  for (int i = 0; i < sidecar.ingress_size(); ++i) {
    const auto& ingress = sidecar.ingress(i);
    const std::string field = At("spec.ingress", i);
    if (!ingress.has_port()) {
      errors.Error(Dot(field, "port"), "sidecar: port is required for ingress listeners");
    } else {
      Check(errors, Dot(field, "port.number"), CheckPort(ingress.port().number()));
    }
  }
}

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
    errors.Warning("spec.filters", "Envoy filter: Filters is deprecated. use configPatches instead");
  }
  for (int i = 0; i < filter.filters_size(); ++i) {
    const Deprecated& f = filter.filters(i);
    const std::string field = At("spec.filters", i);
    if (f.has_insert_position() && (f.insert_position().index() == Position::BEFORE ||
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
  const auto& filter = static_cast<const net::EnvoyFilter&>(*resource.spec);
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
