// One accepted and one rejected resource per validation rule; each rejection
// is checked for its exact field and message.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/mesh/resource.h"
#include "libs/mesh/validation/validate.h"

namespace keel::mesh {
namespace {

struct RuleCase {
  std::string rule;      // test name
  std::string kind;      // "VirtualService"
  std::string accepted;  // spec YAML (indented two spaces under spec:)
  std::string rejected;
  std::string field;    // expected field of the (first) error
  std::string message;  // expected message
};

std::string ApiVersion(const std::string& kind) {
  if (kind == "AuthorizationPolicy" || kind == "PeerAuthentication" ||
      kind == "RequestAuthentication") {
    return "security.istio.io/v1beta1";
  }
  if (kind == "Policy" || kind == "MeshPolicy") return "authentication.istio.io/v1alpha1";
  if (kind == "ServiceRole" || kind == "ServiceRoleBinding" || kind == "ClusterRbacConfig") {
    return "rbac.istio.io/v1alpha1";
  }
  if (kind == "handler" || kind == "instance" || kind == "rule" || kind == "attributemanifest" ||
      kind == "QuotaSpec" || kind == "QuotaSpecBinding" || kind == "HTTPAPISpec" ||
      kind == "HTTPAPISpecBinding" || kind == "template") {
    return "config.istio.io/v1alpha2";
  }
  return "networking.istio.io/v1alpha3";
}

std::vector<Diagnostic> Validate(const std::string& kind, const std::string& spec,
                                 const std::string& name = "x") {
  const std::string text = "apiVersion: " + ApiVersion(kind) + "\nkind: " + kind +
                           "\nmetadata:\n  name: " + name + "\n  namespace: default\nspec:\n" +
                           spec;
  ParsedFile parsed = ParseConfigFile("case.yaml", text);
  std::vector<Diagnostic> out = parsed.diagnostics;
  for (const Resource& r : parsed.resources) {
    for (Diagnostic& d : ValidateResource(r)) out.push_back(std::move(d));
  }
  return out;
}

std::vector<Diagnostic> Errors(const std::vector<Diagnostic>& all) {
  std::vector<Diagnostic> errors;
  for (const Diagnostic& d : all) {
    if (d.level == Level::kError) errors.push_back(d);
  }
  return errors;
}

class ValidationRuleTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(ValidationRuleTest, AcceptsTheGoodAndRejectsTheBadExactly) {
  const RuleCase& c = GetParam();
  std::vector<Diagnostic> accepted = Errors(Validate(c.kind, c.accepted));
  EXPECT_TRUE(accepted.empty()) << "accepted case gave: " << accepted[0].ToString();
  std::vector<Diagnostic> rejected = Errors(Validate(c.kind, c.rejected));
  ASSERT_FALSE(rejected.empty()) << "rejected case was accepted";
  EXPECT_EQ(rejected[0].field, c.field) << rejected[0].ToString();
  EXPECT_EQ(rejected[0].message, c.message) << rejected[0].ToString();
  EXPECT_EQ(rejected[0].resource, c.kind + " default/x");
  EXPECT_GT(rejected[0].position.line, 0) << rejected[0].ToString();
}

// Istio 1.4's deprecated EnvoyFilter form, as its docs showed it.
const char kDeprecatedFilter[] =
    "  workloadLabels: {app: reviews}\n  filters:\n  - listenerMatch:\n"
    "      listenerType: SIDECAR_INBOUND\n      listenerProtocol: HTTP\n"
    "      portNumber: 9080\n    insertPosition: {index: FIRST}\n    filterType: HTTP\n"
    "    filterName: envoy.lua\n    filterConfig:\n      inlineCode: |\n"
    "        function envoy_on_request(handle) end\n";

const char kRoute[] =
    "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n";

std::string Http(const std::string& extra) {
  return "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n" + extra;
}

const RuleCase kCases[] = {
    // VirtualService
    {"VsHostFormat", "VirtualService", kRoute,
     "  hosts: [\"bad_host!\"]\n  http:\n  - route:\n    - destination: {host: reviews}\n",
     "spec.hosts[0]", "domain name \"bad_host!\" invalid (label \"bad_host!\" invalid)"},
    {"VsWildcardForMesh", "VirtualService",
     "  hosts: [\"*\"]\n  gateways: [gw]\n  http:\n  - route:\n    - destination: {host: "
     "reviews}\n",
     "  hosts: [\"*\"]\n  http:\n  - route:\n    - destination: {host: reviews}\n", "spec.hosts[0]",
     "wildcard host * is not allowed for virtual services bound to the mesh gateway"},
    {"VsDuplicateHosts", "VirtualService", kRoute,
     "  hosts: [reviews, Reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n",
     "spec.hosts[1]", "duplicate hosts in virtual service: reviews & Reviews"},
    {"VsNumericTld", "VirtualService", kRoute,
     "  hosts: [a.b.123]\n  http:\n  - route:\n    - destination: {host: reviews}\n",
     "spec.hosts[0]",
     "domain name \"a.b.123\" invalid (top level domain \"123\" cannot be all-numeric)"},
    {"VsNeedsRoutes", "VirtualService", kRoute, "  hosts: [reviews]\n", "spec",
     "http, tcp or tls must be provided in virtual service"},
    {"VsGatewayName", "VirtualService",
     "  hosts: [reviews]\n  gateways: [istio-system/gw]\n  http:\n  - route:\n    - destination: "
     "{host: reviews}\n",
     "  hosts: [reviews]\n  gateways: [Bad/gw]\n  http:\n  - route:\n    - destination: {host: "
     "reviews}\n",
     "spec.gateways[0]", "invalid value for namespace: \"Bad\""},
    {"VsNegativeWeight", "VirtualService",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n    "
     "  weight: 80\n    - destination: {host: reviews, subset: v2}\n      weight: 20\n",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n    "
     "  weight: -1\n    - destination: {host: reviews, subset: v2}\n      weight: 20\n",
     "spec.http[0].route[0].weight", "percentage -1 is not in range 0..100"},
    // Istio 1.4: several destinations' weights add up to 100 (the README
    // demo's 200/70 was accepted, and gRPC NACKed the route).
    {"VsWeightsAddUpTo100", "VirtualService",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n    "
     "  weight: 70\n    - destination: {host: reviews, subset: v2}\n      weight: 30\n",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n    "
     "  weight: 200\n    - destination: {host: reviews, subset: v2}\n      weight: 70\n",
     "spec.http[0].route[0].weight", "percentage 200 is not in range 0..100"},
    {"VsWeightsTotal", "VirtualService",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n    "
     "  weight: 100\n    - destination: {host: reviews, subset: v2}\n",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n    "
     "  weight: 60\n    - destination: {host: reviews, subset: v2}\n      weight: 30\n",
     "spec.http[0].route", "total destination weight 90 != 100"},
    {"VsZeroTotalWeight", "VirtualService",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n    "
     "- destination: {host: reviews, subset: v2}\n",
     "spec.http[0].route", "total destination weight 0 != 100"},
    {"VsTcpWeightsTotal", "VirtualService",
     "  hosts: [db]\n  tcp:\n  - route:\n    - destination: {host: db, subset: a}\n    "
     "  weight: 50\n    - destination: {host: db, subset: b}\n      weight: 50\n",
     "  hosts: [db]\n  tcp:\n  - route:\n    - destination: {host: db, subset: a}\n    "
     "  weight: 50\n    - destination: {host: db, subset: b}\n      weight: 10\n",
     "spec.tcp[0].route", "total destination weight 60 != 100"},
    {"VsSubsetName", "VirtualService",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: V_1}\n",
     "spec.http[0].route[0].destination.subset", "subset name is invalid: V_1"},
    {"VsDestinationWildcard", "VirtualService", kRoute,
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: \"*\"}\n",
     "spec.http[0].route[0].destination.host", "invalid destination host *"},
    {"VsDestinationPort", "VirtualService",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, port: {number: "
     "9080}}\n",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, port: {number: "
     "70000}}\n",
     "spec.http[0].route[0].destination.port.number",
     "port number 70000 must be in the range 1..65535"},
    {"VsRouteRequired", "VirtualService", kRoute, "  hosts: [reviews]\n  http:\n  - timeout: 1s\n",
     "spec.http[0]", "HTTP route, redirect or direct_response is required"},
    {"VsRouteAndRedirect", "VirtualService",
     "  hosts: [reviews]\n  http:\n  - redirect: {uri: /v2}\n",
     "  hosts: [reviews]\n  http:\n  - redirect: {uri: /v2}\n    route:\n    - destination: {host: "
     "reviews}\n",
     "spec.http[0]", "HTTP route cannot contain both route and redirect"},
    {"VsRegexCompiles", "VirtualService",
     Http("    match:\n    - uri: {regex: \"^/api/v[0-9]+\"}\n"),
     Http("    match:\n    - uri: {regex: \"^/api/(v[0-9]+\"}\n"),
     "spec.http[0].match[0].uri.regex",
     "\"^/api/(v[0-9]+\": missing ): ^/api/(v[0-9]+; Istio uses RE2 style regex-based match "
     "(https://github.com/google/re2/wiki/Syntax)"},
    {"VsRegexLength", "VirtualService", Http("    match:\n    - uri: {regex: \"a+\"}\n"),
     Http("    match:\n    - uri: {regex: \"" + std::string(1025, 'a') + "\"}\n"),
     "spec.http[0].match[0].uri.regex", "regex is too large, max length allowed is 1024"},
    {"VsRegexComplexity", "VirtualService", Http("    match:\n    - uri: {regex: \"(a|b)*c\"}\n"),
     Http("    match:\n    - uri: {regex: \"a{1,100}\"}\n"), "spec.http[0].match[0].uri.regex",
     "regex \"a{1,100}\" is too complex (program size 203 > 100, the limit Envoy enforces)"},
    {"VsHeaderName", "VirtualService",
     Http("    match:\n    - headers:\n        end-user: {exact: jason}\n"),
     Http("    match:\n    - headers:\n        \"end user\": {exact: jason}\n"),
     "spec.http[0].match[0].headers[\"end user\"]",
     "header name end user is not a valid header name"},
    {"VsStringMatchEmpty", "VirtualService", Http("    match:\n    - method: {exact: GET}\n"),
     Http("    match:\n    - method: {}\n"), "spec.http[0].match[0].method",
     "one of exact, prefix or regex must be set"},
    {"VsTimeout", "VirtualService", Http("    timeout: 10s\n"), Http("    timeout: 0.5ms\n"),
     "spec.http[0].timeout", "duration must be greater than 1ms"},
    {"VsTimeoutPrecision", "VirtualService", Http("    timeout: 1.5s\n"),
     Http("    timeout: 1500us\n"), "spec.http[0].timeout",
     "only durations to ms precision are supported"},
    {"VsRetryAttempts", "VirtualService", Http("    retries: {attempts: 3, perTryTimeout: 2s}\n"),
     Http("    retries: {attempts: -1}\n"), "spec.http[0].retries.attempts",
     "attempts cannot be negative"},
    {"VsRetryOn", "VirtualService",
     Http("    retries: {attempts: 3, retryOn: \"unavailable,5xx,503\"}\n"),
     Http("    retries: {attempts: 3, retryOn: \"5xx,bogus\"}\n"), "spec.http[0].retries.retryOn",
     "\"bogus\" is not a valid retryOn policy"},
    {"VsRetryDisabled", "VirtualService", Http("    retries: {attempts: 0}\n"),
     Http("    retries: {attempts: 0, perTryTimeout: 1s}\n"), "spec.http[0].retries",
     "http retry policy configured when attempts are set to 0 (disabled)"},
    {"VsFaultNeedsAction", "VirtualService",
     Http("    fault: {abort: {percentage: {value: 50}, grpcStatus: UNAVAILABLE}}\n"),
     Http("    fault: {}\n"), "spec.http[0].fault",
     "HTTP fault injection must have an abort and/or a delay"},
    {"VsFaultPercentage", "VirtualService",
     Http("    fault: {delay: {percentage: {value: 0.1}, fixedDelay: 7s}}\n"),
     Http("    fault: {delay: {percentage: {value: 101}, fixedDelay: 7s}}\n"),
     "spec.http[0].fault.delay.percentage.value",
     "percentage 101 is neither 0.0, nor in range [0.0001, 100.0]"},
    {"VsFaultHttpStatus", "VirtualService", Http("    fault: {abort: {httpStatus: 503}}\n"),
     Http("    fault: {abort: {httpStatus: 99}}\n"), "spec.http[0].fault.abort.httpStatus",
     "HTTP status 99 is not in range 200-599"},
    {"VsFaultGrpcStatus", "VirtualService", Http("    fault: {abort: {grpcStatus: UNAVAILABLE}}\n"),
     Http("    fault: {abort: {grpcStatus: SOMETIMES}}\n"), "spec.http[0].fault.abort.grpcStatus",
     "gRPC status \"SOMETIMES\" is not supported. See "
     "https://github.com/grpc/grpc/blob/master/doc/statuscodes.md for a list of supported codes, "
     "for "
     "example 'NOT_FOUND'"},
    {"VsMirrorPercentage", "VirtualService",
     Http("    mirror: {host: shadow}\n    mirrorPercentage: {value: 10}\n"),
     Http("    mirror: {host: shadow}\n    mirrorPercentage: {value: 150}\n"),
     "spec.http[0].mirrorPercentage.value",
     "percentage 150 is neither 0.0, nor in range [0.0001, 100.0]"},
    {"VsRedirectCode", "VirtualService",
     "  hosts: [a]\n  http:\n  - redirect: {uri: /b, redirectCode: 301}\n",
     "  hosts: [a]\n  http:\n  - redirect: {uri: /b, redirectCode: 200}\n",
     "spec.http[0].redirect.redirectCode", "200 is not a valid redirect code, must be 3xx"},
    {"VsCorsMethod", "VirtualService", Http("    corsPolicy: {allowMethods: [GET, POST]}\n"),
     Http("    corsPolicy: {allowMethods: [get]}\n"), "spec.http[0].corsPolicy.allowMethods[0]",
     "\"get\" is not a supported HTTP method"},
    {"VsHeaderOperation", "VirtualService",
     Http("    headers: {request: {set: {x-b3-sampled: \"1\"}}}\n"),
     Http("    headers: {response: {set: {host: x}}}\n"),
     "spec.http[0].headers.response.set[\"host\"]",
     "invalid header \"host\": cannot set Host header"},
    {"VsRewriteExclusive", "VirtualService", Http("    rewrite: {uri: /v1}\n"),
     Http("    rewrite: {uri: /v1, uriRegexRewrite: {match: a, rewrite: b}}\n"),
     "spec.http[0].rewrite", "rewrite may only contain one of URI or UriRegexRewrite"},
    {"VsTlsNeedsSni", "VirtualService",
     "  hosts: [a.com]\n  tls:\n  - match:\n    - sniHosts: [a.com]\n    route:\n    - "
     "destination: {host: a.com}\n",
     "  hosts: [a.com]\n  tls:\n  - match:\n    - port: 443\n    route:\n    - destination: {host: "
     "a.com}\n",
     "spec.tls[0].match[0].sniHosts", "TLS match must have at least one SNI host"},
    {"VsTcpSubnet", "VirtualService",
     "  hosts: [db]\n  tcp:\n  - match:\n    - destinationSubnets: [10.0.0.0/8]\n    route:\n    - "
     "destination: {host: db}\n",
     "  hosts: [db]\n  tcp:\n  - match:\n    - destinationSubnets: [10.0.0.0/33]\n    route:\n    "
     "- destination: {host: db}\n",
     "spec.tcp[0].match[0].destinationSubnets[0]", "10.0.0.0/33 is not a valid CIDR block"},
    {"VsExportTo", "VirtualService", Http("  exportTo: [\".\"]\n"),
     Http("  exportTo: [\"*\", \".\"]\n"), "spec.exportTo",
     "cannot have both public (*) and non-public exportTo values for a resource"},
    // Istio 1.4 has no delegate VirtualServices: hosts are required.
    {"VsHostsRequired", "VirtualService",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n",
     "  http:\n  - route:\n    - destination: {host: reviews}\n", "spec.hosts",
     "virtual service must have at least one host"},
    // Istio 1.4's deprecated integer fault percentages are accepted.
    {"VsFaultAbortPercent", "VirtualService",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n"
     "    fault:\n      abort: {percent: 50, httpStatus: 503}\n",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n"
     "    fault:\n      abort: {percent: 150, httpStatus: 503}\n",
     "spec.http[0].fault.abort.percent", "percentage 150 is not in range 0..100"},
    {"VsFaultDelayPercent", "VirtualService",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n"
     "    fault:\n      delay: {percent: 10, fixedDelay: 1s}\n",
     "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n"
     "    fault:\n      delay: {percent: -1, fixedDelay: 1s}\n",
     "spec.http[0].fault.delay.percent", "percentage -1 is not in range 0..100"},
    // DestinationRule
    {"DrHost", "DestinationRule", "  host: reviews.default.svc.cluster.local\n",
     "  host: \"re views\"\n", "spec.host",
     "domain name \"re views\" invalid (label \"re views\" invalid)"},
    {"DrSubsetDuplicate", "DestinationRule",
     "  host: reviews\n  subsets:\n  - name: v1\n    labels: {version: v1}\n  - name: v2\n    "
     "labels: {version: v2}\n",
     "  host: reviews\n  subsets:\n  - name: v1\n    labels: {version: v1}\n  - name: v1\n    "
     "labels: {version: v2}\n",
     "spec.subsets[1].name", "duplicate subset names: v1"},
    {"DrSubsetLabels", "DestinationRule",
     "  host: r\n  subsets:\n  - name: v1\n    labels: {version: v1}\n",
     "  host: r\n  subsets:\n  - name: v1\n    labels: {version: \"v 1\"}\n",
     "spec.subsets[0].labels", "invalid tag value: \"v 1\""},
    {"DrConnectionPool", "DestinationRule",
     "  host: r\n  trafficPolicy:\n    connectionPool: {http: {http2MaxRequests: 100}}\n",
     "  host: r\n  trafficPolicy:\n    connectionPool: {http: {http2MaxRequests: -1}}\n",
     "spec.trafficPolicy.connectionPool.http.http2MaxRequests",
     "http2 max requests must be non-negative"},
    {"DrOutlierPercent", "DestinationRule",
     "  host: r\n  trafficPolicy:\n    outlierDetection: {maxEjectionPercent: 50, interval: 1s}\n",
     "  host: r\n  trafficPolicy:\n    outlierDetection: {maxEjectionPercent: 150}\n",
     "spec.trafficPolicy.outlierDetection.maxEjectionPercent",
     "percentage 150 is not in range 0..100"},
    {"DrConsistentHashCookie", "DestinationRule",
     "  host: r\n  trafficPolicy:\n    loadBalancer: {consistentHash: {httpHeaderName: "
     "end-user}}\n",
     "  host: r\n  trafficPolicy:\n    loadBalancer: {consistentHash: {httpCookie: {ttl: 1s}}}\n",
     "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name",
     "name required for HttpCookie"},
    {"DrLocalityWeights", "DestinationRule",
     "  host: r\n  trafficPolicy:\n    loadBalancer:\n      localityLbSetting:\n        "
     "distribute:\n        - from: us/*\n          to: {\"us/*\": 80, \"eu/*\": 20}\n",
     "  host: r\n  trafficPolicy:\n    loadBalancer:\n      localityLbSetting:\n        "
     "distribute:\n        - from: us/*\n          to: {\"us/*\": 80, \"eu/*\": 10}\n",
     "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to",
     "total locality weight 90 != 100"},
    {"DrMutualTls", "DestinationRule",
     "  host: r\n  trafficPolicy:\n    tls: {mode: MUTUAL, clientCertificate: /c.pem, privateKey: "
     "/k.pem}\n",
     "  host: r\n  trafficPolicy:\n    tls: {mode: MUTUAL, privateKey: /k.pem}\n",
     "spec.trafficPolicy.tls.clientCertificate", "client certificate required for mutual tls"},
    // Gateway
    {"GwNeedsServers", "Gateway",
     "  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, "
     "protocol: HTTP}\n    hosts: [\"*\"]\n",
     "  selector: {istio: ingressgateway}\n", "spec.servers",
     "gateway must have at least one server"},
    {"GwNamespacedHost", "Gateway",
     "  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: "
     "[\"ns1/*.example.com\"]\n",
     "  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: "
     "[\"ns1/example\"]\n",
     "spec.servers[0].hosts[0]", "short names (non FQDN) are not allowed"},
    {"GwPortNameUnique", "Gateway",
     "  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [a.com]\n  - "
     "port: {number: 81, name: http2, protocol: HTTP}\n    hosts: [a.com]\n",
     "  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [a.com]\n  - "
     "port: {number: 81, name: http, protocol: HTTP}\n    hosts: [a.com]\n",
     "spec.servers[1].port.name", "port names in servers must be unique: duplicate name \"http\""},
    {"GwHttpsNeedsTls", "Gateway",
     "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [a.com]\n    "
     "tls: {mode: SIMPLE, credentialName: a-cert}\n",
     "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [a.com]\n",
     "spec.servers[0].tls", "server must have TLS settings for HTTPS/TLS protocols"},
    // ServiceEntry
    {"SeHosts", "ServiceEntry",
     "  hosts: [api.example.com]\n  ports: [{number: 443, name: https, protocol: TLS}]\n",
     "  hosts: [\"*\"]\n  ports: [{number: 443, name: https, protocol: TLS}]\n", "spec.hosts[0]",
     "invalid host *"},
    {"SeSelectorOrEndpoints", "ServiceEntry",
     "  hosts: [a.mesh]\n  ports: [{number: 80, name: http}]\n  resolution: STATIC\n  "
     "workloadSelector: {labels: {app: a}}\n",
     "  hosts: [a.mesh]\n  ports: [{number: 80, name: http}]\n  resolution: STATIC\n  "
     "workloadSelector: {labels: {app: a}}\n  endpoints: [{address: 10.0.0.1}]\n",
     "spec.workloadSelector",
     "only one of workloadSelector or endpoints is allowed in service entry"},
    {"SeStaticEndpointIp", "ServiceEntry",
     "  hosts: [a.mesh]\n  ports: [{number: 80, name: http}]\n  resolution: STATIC\n  endpoints: "
     "[{address: 10.0.0.1}]\n",
     "  hosts: [a.mesh]\n  ports: [{number: 80, name: http}]\n  resolution: STATIC\n  endpoints: "
     "[{address: db.example.com}]\n",
     "spec.endpoints[0].address", "endpoint address \"db.example.com\" is not a valid IP address"},
    {"SeDuplicatePort", "ServiceEntry",
     "  hosts: [a.mesh]\n  ports: [{number: 80, name: http}, {number: 81, name: http2}]\n",
     "  hosts: [a.mesh]\n  ports: [{number: 80, name: http}, {number: 80, name: http2}]\n",
     "spec.ports[1].number", "duplicate port number 80"},
    {"SeEndpointPortName", "ServiceEntry",
     "  hosts: [a.mesh]\n  ports: [{number: 80, name: http}]\n  resolution: STATIC\n  endpoints: "
     "[{address: 10.0.0.1, ports: {http: 8080}}]\n",
     "  hosts: [a.mesh]\n  ports: [{number: 80, name: http}]\n  resolution: STATIC\n  endpoints: "
     "[{address: 10.0.0.1, ports: {grpc: 8080}}]\n",
     "spec.endpoints[0].ports[\"grpc\"]",
     "endpoint port \"grpc\" is not defined by the service entry"},
    // WorkloadEntry
    {"WeAddress", "WorkloadEntry", "  address: 10.0.0.1\n  labels: {app: a}\n",
     "  labels: {app: a}\n", "spec.address", "address is required"},
    {"WePort", "WorkloadEntry", "  address: 10.0.0.1\n  ports: {grpc: 7070}\n",
     "  address: 10.0.0.1\n  ports: {grpc: 0}\n", "spec.ports[\"grpc\"]",
     "port number 0 must be in the range 1..65535"},
    // Sidecar
    {"SidecarEgressHost", "Sidecar", "  egress:\n  - hosts: [\"./*\", \"istio-system/*\"]\n",
     "  egress:\n  - hosts: [\"reviews\"]\n", "spec.egress[0].hosts[0]",
     "host must be of form namespace/dnsName"},
    {"SidecarEgress", "Sidecar", "  egress:\n  - hosts: [\"./*\"]\n",
     "  ingress:\n  - port: {number: 80, name: http, protocol: HTTP}\n    defaultEndpoint: "
     "127.0.0.1:8080\n",
     "spec.egress", "sidecar: missing egress"},
    // EnvoyFilter
    {"EnvoyFilterApplyTo", "EnvoyFilter",
     "  configPatches:\n  - applyTo: HTTP_FILTER\n    patch: {operation: INSERT_BEFORE, value: "
     "{name: envoy.filters.http.fault}}\n",
     "  configPatches:\n  - applyTo: NETWORK_FILTER\n    patch: {operation: MERGE, value: {name: "
     "x}}\n",
     "spec.configPatches[0].applyTo",
     "applyTo NETWORK_FILTER is not supported by Keel (supported: LISTENER, HTTP_FILTER, "
     "ROUTE_CONFIGURATION, VIRTUAL_HOST, HTTP_ROUTE, CLUSTER)"},
    {"EnvoyFilterValue", "EnvoyFilter",
     "  configPatches:\n  - applyTo: CLUSTER\n    patch: {operation: REMOVE}\n",
     "  configPatches:\n  - applyTo: CLUSTER\n    patch: {operation: MERGE}\n",
     "spec.configPatches[0].patch.value",
     "Envoy filter: missing patch value for non-remove operation"},
    {"EnvoyFilterInsert", "EnvoyFilter",
     "  configPatches:\n  - applyTo: HTTP_ROUTE\n    patch: {operation: INSERT_FIRST, value: "
     "{name: r}}\n",
     "  configPatches:\n  - applyTo: CLUSTER\n    patch: {operation: INSERT_FIRST, value: {name: "
     "c}}\n",
     "spec.configPatches[0].patch.operation",
     "Envoy filter: INSERT_FIRST is valid only for HTTP_FILTER, HTTP_ROUTE, NETWORK_FILTER or "
     "LISTENER_FILTER"},
    {"EnvoyFilterRepresentable", "EnvoyFilter",
     "  configPatches:\n  - applyTo: CLUSTER\n    patch: {operation: MERGE, value: "
     "{connect_timeout: 2s}}\n",
     "  configPatches:\n  - applyTo: CLUSTER\n    patch: {operation: MERGE, value: "
     "{connect_timeout: 2s, warp_speed: 9}}\n",
     "spec.configPatches[0].patch.value",
     "Envoy filter: value is not a valid envoy.config.cluster.v3.Cluster: warp_speed: Cannot find "
     "field."},
    // Any Envoy extension's typed_config validates, not only those Pilot
    // generates (current Istio's ratelimit sample).
    {"EnvoyFilterAnyExtensionType", "EnvoyFilter",
     "  configPatches:\n  - applyTo: HTTP_FILTER\n    patch:\n      operation: INSERT_BEFORE\n"
     "      value:\n        name: envoy.filters.http.ratelimit\n        typed_config:\n"
     "          '@type': type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit\n"
     "          domain: productpage-ratelimit\n          failure_mode_deny: true\n"
     "          timeout: 10s\n",
     "  configPatches:\n  - applyTo: HTTP_FILTER\n    patch:\n      operation: INSERT_BEFORE\n"
     "      value:\n        name: envoy.filters.http.ratelimit\n        typed_config:\n"
     "          '@type': type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit\n"
     "          domain: productpage-ratelimit\n          failure_mode_deny: maybe\n",
     "spec.configPatches[0].patch.value",
     "Envoy filter: value is not a valid "
     "envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter: "
     "(failure_mode_deny): invalid value \"maybe\" for type TYPE_BOOL"},
    // Istio 1.4's deprecated `filters` form, with 1.4's messages.
    {"EnvoyFilterDeprecatedName", "EnvoyFilter", kDeprecatedFilter,
     "  filters:\n  - filterType: HTTP\n    filterConfig: {inlineCode: x}\n",
     "spec.filters[0].filterName", "Envoy filter: missing filter name"},
    {"EnvoyFilterDeprecatedType", "EnvoyFilter", kDeprecatedFilter,
     "  filters:\n  - filterName: envoy.lua\n    filterConfig: {inlineCode: x}\n",
     "spec.filters[0].filterType", "Envoy filter: missing filter type"},
    {"EnvoyFilterDeprecatedConfig", "EnvoyFilter", kDeprecatedFilter,
     "  filters:\n  - filterName: envoy.lua\n    filterType: HTTP\n",
     "spec.filters[0].filterConfig", "Envoy filter: missing filter config"},
    {"EnvoyFilterDeprecatedRelativeTo", "EnvoyFilter", kDeprecatedFilter,
     "  filters:\n  - filterName: envoy.lua\n    filterType: HTTP\n"
     "    insertPosition: {index: BEFORE}\n    filterConfig: {inlineCode: x}\n",
     "spec.filters[0].insertPosition.relativeTo",
     "Envoy filter: missing relativeTo filter with BEFORE/AFTER index"},
    {"EnvoyFilterDeprecatedConfigFits", "EnvoyFilter", kDeprecatedFilter,
     "  filters:\n  - filterName: envoy.lua\n    filterType: HTTP\n"
     "    filterConfig: {inlineCod: x}\n",
     "spec.filters[0].filterConfig",
     "Envoy filter: filterConfig is not a valid envoy.extensions.filters.http.lua.v3.Lua: "
     "inlineCod: Cannot find field."},
    // AuthorizationPolicy
    {"AuthzCustomProvider", "AuthorizationPolicy",
     "  action: CUSTOM\n  provider: {name: ext-authz}\n  rules:\n  - to: [{operation: {paths: "
     "[/admin]}}]\n",
     "  action: CUSTOM\n  rules:\n  - to: [{operation: {paths: [/admin]}}]\n", "spec.provider",
     "must specify a provider when using CUSTOM action"},
    {"AuthzEmptySource", "AuthorizationPolicy",
     "  rules:\n  - from: [{source: {namespaces: [prod]}}]\n",
     "  rules:\n  - from: [{source: {}}]\n", "spec.rules[0].from[0].source",
     "`from.source` must not be empty"},
    {"AuthzPort", "AuthorizationPolicy", "  rules:\n  - to: [{operation: {ports: [\"8080\"]}}]\n",
     "  rules:\n  - to: [{operation: {ports: [\"http\"]}}]\n",
     "spec.rules[0].to[0].operation.ports[0]", "invalid port \"http\""},
    {"AuthzConditionKey", "AuthorizationPolicy",
     "  rules:\n  - when: [{key: \"request.headers[x-token]\", values: [a]}]\n",
     "  rules:\n  - when: [{key: request.color, values: [red]}]\n", "spec.rules[0].when[0].key",
     "unknown attribute: request.color"},
    {"AuthzIpBlock", "AuthorizationPolicy",
     "  rules:\n  - from: [{source: {ipBlocks: [10.0.0.0/8]}}]\n",
     "  rules:\n  - from: [{source: {ipBlocks: [10.0.0.256]}}]\n",
     "spec.rules[0].from[0].source.ipBlocks[0]", "10.0.0.256 is not a valid IP"},
    {"AuthzDenyEmptyRule", "AuthorizationPolicy",
     "  action: DENY\n  rules:\n  - to: [{operation: {methods: [DELETE]}}]\n",
     "  action: DENY\n  rules:\n  - {}\n", "spec.rules[0]",
     "rule must not be empty for DENY action (an empty rule matches every request)"},
    // PeerAuthentication
    {"PeerAuthPortLevel", "PeerAuthentication",
     "  selector: {matchLabels: {app: a}}\n  portLevelMtls: {\"8080\": {mode: DISABLE}}\n",
     "  portLevelMtls: {\"8080\": {mode: DISABLE}}\n", "spec.portLevelMtls",
     "portLevelMtls requires a workload selector with labels"},
    // Istio 1.4's authentication Policy
    {"AuthnPolicyMtlsOnce", "Policy", "  targets: [{name: reviews}]\n  peers: [{mtls: {}}]\n",
     "  targets: [{name: reviews}]\n  peers: [{mtls: {}}, {mtls: {mode: PERMISSIVE}}]\n",
     "spec.peers[1].mtls", "mtls may be given only once"},
    {"AuthnPolicyTargetName", "Policy", "  targets: [{name: reviews, ports: [{number: 9080}]}]\n",
     "  targets: [{name: reviews.default}]\n", "spec.targets[0].name",
     "target name \"reviews.default\" must be a service short name"},
    {"AuthnPolicyTargetPort", "Policy", "  targets: [{name: reviews, ports: [{name: http}]}]\n",
     "  targets: [{name: reviews, ports: [{number: 70000}]}]\n", "spec.targets[0].ports[0].number",
     "port number 70000 must be in the range 1..65535"},
    {"AuthnPolicyNamespaceWideIsDefault", "Policy", "  targets: [{name: reviews}]\n",
     "  peers: [{mtls: {}}]\n", "spec.targets",
     "a policy without targets applies to its whole namespace and must be named \"default\", "
     "not \"x\""},
    {"AuthnPolicyJwtIssuer", "Policy",
     "  targets: [{name: a}]\n  origins: [{jwt: {issuer: https://a, jwksUri: https://a/k}}]\n",
     "  targets: [{name: a}]\n  origins: [{jwt: {jwksUri: https://a/k}}]\n",
     "spec.origins[0].jwt.issuer", "issuer must be set"},
    // Istio 1.4's rbac.istio.io
    {"ServiceRoleRules", "ServiceRole", "  rules:\n  - services: [a]\n    methods: [GET]\n",
     "  rules: []\n", "spec.rules", "at least 1 rule must be specified"},
    {"ServiceRoleMethods", "ServiceRole", "  rules:\n  - services: [a]\n    methods: [\"*\"]\n",
     "  rules:\n  - services: [a]\n", "spec.rules[0].methods",
     "at least 1 method must be specified"},
    {"ServiceRoleConstraint", "ServiceRole",
     "  rules:\n  - services: [a]\n    methods: [GET]\n    constraints: [{key: k, values: [v]}]\n",
     "  rules:\n  - services: [a]\n    methods: [GET]\n    constraints: [{key: k}]\n",
     "spec.rules[0].constraints[0].values", "at least 1 value must be specified"},
    {"BindingRoleRefKind", "ServiceRoleBinding",
     "  subjects: [{user: a}]\n  roleRef: {kind: ServiceRole, name: r}\n",
     "  subjects: [{user: a}]\n  roleRef: {kind: Role, name: r}\n", "spec.roleRef.kind",
     "kind set to \"Role\", currently the only supported value is \"ServiceRole\""},
    {"BindingSubjects", "ServiceRoleBinding",
     "  subjects: [{properties: {source.namespace: a}}]\n  roleRef: {kind: ServiceRole, name: r}\n",
     "  roleRef: {kind: ServiceRole, name: r}\n", "spec.subjects",
     "at least 1 subject must be specified"},
    // RequestAuthentication
    {"RequestAuthIssuer", "RequestAuthentication",
     "  jwtRules:\n  - issuer: https://issuer.example\n    jwksUri: https://issuer.example/jwks\n",
     "  jwtRules:\n  - jwksUri: https://issuer.example/jwks\n", "spec.jwtRules[0].issuer",
     "issuer must be set"},
    {"RequestAuthJwksUri", "RequestAuthentication",
     "  jwtRules:\n  - issuer: a\n    jwksUri: https://a/jwks\n",
     "  jwtRules:\n  - issuer: a\n    jwksUri: ftp://a/jwks\n", "spec.jwtRules[0].jwksUri",
     "jwksUri \"ftp://a/jwks\" must be an http(s) URL"},
    // Mixer
    {"HandlerAdapter", "handler", "  compiledAdapter: prometheus\n  params: {}\n", "  params: {}\n",
     "spec.compiledAdapter", "handler must name its adapter (compiledAdapter or adapter)"},
    {"InstanceTemplate", "instance", "  compiledTemplate: metric\n  params: {value: \"1\"}\n",
     "  params: {value: \"1\"}\n", "spec.compiledTemplate",
     "instance must name its template (compiledTemplate or template)"},
    {"RuleMatchSyntax", "rule",
     "  match: destination.labels[\"app\"] == \"ratings\"\n  actions:\n  - handler: h\n    "
     "instances: [i]\n",
     "  match: destination.labels[\"app\" == \"ratings\"\n  actions:\n  - handler: h\n    "
     "instances: [i]\n",
     "spec.match", "unclosed '[' in expression"},
    {"RuleActionInstances", "rule", "  actions:\n  - handler: h\n    instances: [i]\n",
     "  actions:\n  - handler: h\n", "spec.actions[0].instances",
     "action must name at least one instance"},
    {"AttributeManifestType", "attributemanifest",
     "  attributes:\n    source.ip: {valueType: IP_ADDRESS}\n",
     "  attributes:\n    source.ip: {description: no type}\n",
     "spec.attributes[\"source.ip\"].valueType", "valueType is required"},
    // Mixer's client kinds (Istio 1.4's bookinfo rate-limit QuotaSpec shape)
    {"QuotaSpecQuotas", "QuotaSpec",
     "  rules:\n  - quotas:\n    - charge: 1\n      quota: requestcountquota\n",
     "  rules:\n  - match:\n    - clause:\n        request.path: {prefix: /books}\n",
     "spec.rules[0].quotas", "a rule must charge at least one quota"},
    {"QuotaSpecRegex", "QuotaSpec",
     "  rules:\n  - match:\n    - clause:\n        request.path: {regex: \"^/books/[0-9]+$\"}\n"
     "    quotas:\n    - {quota: q, charge: 1}\n",
     "  rules:\n  - match:\n    - clause:\n        request.path: {regex: \"(\"}\n"
     "    quotas:\n    - {quota: q, charge: 1}\n",
     "spec.rules[0].match[0].clause[\"request.path\"].regex",
     "\"(\": missing ): (; Istio uses RE2 style regex-based match "
     "(https://github.com/google/re2/wiki/Syntax)"},
    {"QuotaSpecBindingServices", "QuotaSpecBinding",
     "  services:\n  - name: productpage\n    namespace: default\n  quotaSpecs:\n"
     "  - name: request-count\n    namespace: istio-system\n",
     "  quotaSpecs:\n  - name: request-count\n", "spec.services",
     "at least one service is required"},
    {"HttpApiSpecPattern", "HTTPAPISpec",
     "  patterns:\n  - httpMethod: GET\n    uriTemplate: /api/pets/{id}\n",
     "  patterns:\n  - httpMethod: GET\n", "spec.patterns[0]",
     "one of uriTemplate or regex is required"},
    {"HttpApiSpecBindingSpecs", "HTTPAPISpecBinding",
     "  services:\n  - name: foo\n  apiSpecs:\n  - name: petstore\n",
     "  services:\n  - name: foo\n", "spec.apiSpecs",
     "at least one HTTPAPISpec reference is required"},
};

INSTANTIATE_TEST_SUITE_P(Rules, ValidationRuleTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return info.param.rule; });

// Istio 1.4 names its namespace-wide Policy and its MeshPolicy "default".
// Istio's `template` kind names its field `descriptor` (a reserved name in
// C++ generated code): it is read by that JSON name.
TEST(ValidationTest, MixerTemplateKindReadsItsDescriptor) {
  ParsedFile parsed = ParseConfigFile(
      "t.yaml",
      "apiVersion: config.istio.io/v1alpha2\nkind: template\nmetadata: {name: metric, namespace: "
      "istio-system}\nspec:\n  descriptor: \"Cg1tZXRyaWMucHJvdG8=\"\n");
  ASSERT_TRUE(parsed.diagnostics.empty()) << parsed.diagnostics[0].ToString();
  ASSERT_EQ(parsed.resources.size(), 1u);
  EXPECT_TRUE(ValidateResource(parsed.resources[0]).empty());
  EXPECT_THAT(parsed.resources[0].spec->ShortDebugString(), ::testing::HasSubstr("Cg1tZXRyaWMucHJvdG8="));
}

TEST(ValidationTest, Istio14AuthenticationPolicyNames) {
  EXPECT_TRUE(Errors(Validate("Policy", "  peers: [{mtls: {}}]\n", "default")).empty());
  EXPECT_TRUE(Errors(Validate("MeshPolicy", "  peers: [{mtls: {mode: PERMISSIVE}}]\n", "default"))
                  .empty());
  std::vector<Diagnostic> mesh = Errors(Validate("MeshPolicy", "  peers: [{mtls: {}}]\n", "strict"));
  ASSERT_EQ(mesh.size(), 1u);
  EXPECT_THAT(mesh[0].message, ::testing::HasSubstr("a MeshPolicy must be named \"default\", not \"strict\""));
  std::vector<Diagnostic> targeted =
      Errors(Validate("Policy", "  targets: [{name: reviews}]\n", "default"));
  ASSERT_EQ(targeted.size(), 1u);
  EXPECT_THAT(targeted[0].message, ::testing::HasSubstr("the policy named \"default\" must not have targets"));
  EXPECT_EQ(targeted[0].position.line, 7);  // file:line of spec.targets
  std::vector<Diagnostic> mesh_targets =
      Errors(Validate("MeshPolicy", "  targets: [{name: reviews}]\n", "default"));
  ASSERT_EQ(mesh_targets.size(), 1u);
  EXPECT_EQ(mesh_targets[0].message, "a MeshPolicy must not have targets");
}

TEST(ValidationTest, ClusterRbacConfigIsNamedDefaultAndListsItsInclusion) {
  EXPECT_TRUE(Errors(Validate("ClusterRbacConfig", "  mode: ON\n", "default")).empty());
  std::vector<Diagnostic> named = Errors(Validate("ClusterRbacConfig", "  mode: ON\n", "rbac"));
  ASSERT_EQ(named.size(), 1u);
  EXPECT_EQ(named[0].message, "rbacConfig has invalid name(rbac), name must be default");
  std::vector<Diagnostic> inclusion =
      Errors(Validate("ClusterRbacConfig", "  mode: ON_WITH_INCLUSION\n", "default"));
  ASSERT_EQ(inclusion.size(), 1u);
  EXPECT_EQ(inclusion[0].message, "inclusion cannot be null (use 'inclusion: {}' for none)");
}

TEST(ValidationTest, ObjectNamesMustBeDns1123) {
  std::vector<Diagnostic> errors =
      Errors(Validate("DestinationRule", "  host: reviews\n", "Reviews_V1"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "metadata.name");
  EXPECT_EQ(errors[0].position.line, 4);
}

TEST(ValidationTest, EveryProblemIsReportedNotJustTheFirst) {
  std::vector<Diagnostic> errors =
      Errors(Validate("VirtualService",
                      "  hosts: [reviews]\n  http:\n  - timeout: 0s\n    "
                      "retries: {attempts: -2}\n"));
  EXPECT_EQ(errors.size(), 3u);
}

TEST(ValidationTest, PositionsPointAtTheField) {
  std::vector<Diagnostic> errors = Errors(Validate("VirtualService", Http("    timeout: 0s\n")));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(),
            "case.yaml:11:5: VirtualService default/x: spec.http[0].timeout: duration must be "
            "greater than 1ms");
}

// A regex inside an EnvoyFilter patch, typed_config included, is bounded
// like a VirtualService's (an unbounded one crashed istiod:
// ISTIO-SECURITY-2026-006).
TEST(ValidationTest, RegexesInsideEnvoyFilterPatchesAreBounded) {
  auto patch = [](const std::string& regex) {
    return "  configPatches:\n  - applyTo: HTTP_ROUTE\n    patch:\n      operation: ADD\n"
           "      value: {name: r, match: {safe_regex: {regex: \"" +
           regex + "\"}}, route: {cluster: c}}\n";
  };
  EXPECT_TRUE(Errors(Validate("EnvoyFilter", patch("/api/[a-z]+"))).empty());
  std::vector<Diagnostic> complex = Errors(Validate("EnvoyFilter", patch("a{1,100}")));
  ASSERT_EQ(complex.size(), 1u);
  EXPECT_EQ(complex[0].field, "spec.configPatches[0].patch.value.match.safeRegex.regex");
  EXPECT_THAT(complex[0].message, ::testing::HasSubstr("is too complex"));
  std::vector<Diagnostic> long_one = Errors(Validate("EnvoyFilter", patch(std::string(2000, 'a'))));
  ASSERT_EQ(long_one.size(), 1u);
  EXPECT_THAT(long_one[0].message, ::testing::HasSubstr("regex is too large"));
  // Inside a typed_config Any (an RBAC filter's header matcher).
  std::vector<Diagnostic> nested = Errors(Validate(
      "EnvoyFilter",
      "  configPatches:\n  - applyTo: HTTP_FILTER\n    patch:\n      operation: INSERT_FIRST\n"
      "      value:\n        name: envoy.filters.http.rbac\n        typed_config:\n"
      "          '@type': type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC\n"
      "          rules:\n            policies:\n              p:\n"
      "                permissions: [{header: {name: x, safe_regex_match: {regex: "
      "\"a{1,100}\"}}}]\n                principals: [{any: true}]\n"));
  ASSERT_EQ(nested.size(), 1u);
  EXPECT_THAT(nested[0].field, ::testing::HasSubstr("typedConfig.rules.policies"));
}

// 1.4's NETWORK filters are accepted (with the deprecation warnings and one
// saying proxyless gRPC will not apply them), never rejected.
TEST(ValidationTest, DeprecatedNetworkFiltersWarn) {
  std::vector<Diagnostic> all = Validate(
      "EnvoyFilter",
      "  filters:\n  - filterType: NETWORK\n    filterName: envoy.filters.network.ext_authz\n"
      "    filterConfig: {stat_prefix: x}\n");
  EXPECT_FALSE(HasErrors(all));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].field, "spec.filters[0].filterType");
  EXPECT_THAT(all[1].message, ::testing::HasSubstr("NETWORK filters are not applied"));
}

TEST(ValidationTest, DeprecatedFieldsWarnWithoutFailing) {
  std::vector<Diagnostic> all =
      Validate("VirtualService",
               "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n"
               "    fault:\n      abort: {percent: 50, httpStatus: 503}\n");
  EXPECT_FALSE(HasErrors(all));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].level, Level::kWarning);
  EXPECT_EQ(all[0].field, "spec.http[0].fault.abort.percent");
  EXPECT_EQ(all[0].message,
            "HTTPRoute.fault.abort.percent is deprecated; use HTTPRoute.fault.abort.percentage");
  EXPECT_EQ(all[0].position.line, 12);
}

}  // namespace
}  // namespace keel::mesh
