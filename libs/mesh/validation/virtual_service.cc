// Validator for networking.istio.io VirtualService (Istio 1.4 rules).
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/mesh/validation/field_path.h"
#include "libs/mesh/validation/rules.h"
#include "libs/mesh/validation/validators.h"
#include "proto/istio/networking/v1alpha3/virtual_service.pb.h"

namespace keel::mesh::validation {

namespace net = ::istio::networking::v1alpha3;

namespace {

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
      CheckRegexWithinBudget(errors, Dot(field, "regex"), match.regex());
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
  errors.Warning(Dot(base, "percent"),
                 absl::StrCat("HTTPRoute.fault.", kind,
                              ".percent is deprecated; use HTTPRoute.fault.", kind, ".percentage"));
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

void ValidateHttpRoute(const net::HTTPRoute& route, const std::string& field, FieldErrors& errors) {
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
        CheckRegexWithinBudget(errors, header_field + ".regex", value.regex());
      }
    }
    for (const auto& [name, value] : match.without_headers()) {
      Check(errors, absl::StrCat(base, ".withoutHeaders[\"", name, "\"]"), CheckHeaderName(name));
    }
    for (const auto& [name, value] : match.query_params()) {
      if (value.match_type_case() == net::StringMatch::kRegex) {
        CheckRegexWithinBudget(errors, absl::StrCat(base, ".queryParams[\"", name, "\"].regex"),
                               value.regex());
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
      CheckRegexWithinBudget(errors, Dot(field, "rewrite.uriRegexRewrite.match"),
                             route.rewrite().uri_regex_rewrite().match());
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
  const auto& vs = resource.SpecAs<net::VirtualService>();
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

}  // namespace keel::mesh::validation
