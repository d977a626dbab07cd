#include "services/mixer/policy.h"

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/mesh/testing/shared_testdata.h"
#include "libs/mesh/resource.h"

namespace keel::mixer {
namespace {

using ::testing::HasSubstr;

std::vector<std::shared_ptr<const mesh::Resource>> Parse(const std::string& yaml) {
  mesh::ParsedFile parsed = mesh::ParseConfigFile("mixer.yaml", yaml);
  EXPECT_TRUE(parsed.diagnostics.empty()) << parsed.diagnostics[0].ToString();
  std::vector<std::shared_ptr<const mesh::Resource>> out;
  for (mesh::Resource& r : parsed.resources) {
    out.push_back(std::make_shared<const mesh::Resource>(std::move(r)));
  }
  return out;
}

const char kManifest[] = R"(apiVersion: config.istio.io/v1alpha2
kind: attributemanifest
metadata: {name: m, namespace: istio-system}
spec:
  attributes:
    request.path: {valueType: STRING}
    response.code: {valueType: INT64}
)";

// A stdio handler writing to `path`, an access-log instance, and a rule
// with `match` sending the one to the other.
std::string AccessLogConfig(const std::string& path, const std::string& match) {
  return std::string(kManifest) + R"(---
apiVersion: config.istio.io/v1alpha2
kind: handler
metadata: {name: log, namespace: istio-system}
spec: {compiledAdapter: stdio, params: {logStream: FILE, outputPath: ")" + path + R"("}}
---
apiVersion: config.istio.io/v1alpha2
kind: instance
metadata: {name: accesslog, namespace: istio-system}
spec:
  compiledTemplate: logentry
  params:
    severity: '"error"'
    variables: {path: request.path | "", code: response.code | 0}
---
apiVersion: config.istio.io/v1alpha2
kind: rule
metadata: {name: log, namespace: istio-system}
spec:
  match: )" + match + R"(
  actions: [{handler: log, instances: [accesslog]}]
)";
}

// A logentry instance's severity and variables reach the stdio adapter.
TEST(PolicyTest, LogEntriesFromReportsAreWrittenByStdio) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(tmp != nullptr ? tmp : "/tmp") + "/policy-access.log";
  std::remove(path.c_str());
  // ">=" is not in Istio's expression language: the rule is refused, naming it.
  absl::StatusOr<std::shared_ptr<const Policy>> policy =
      Policy::Compile(Parse(AccessLogConfig(path, "(response.code | 200) >= 500")), "istio-system");
  ASSERT_FALSE(policy.ok());
  EXPECT_THAT(policy.status().message(), HasSubstr("rule istio-system/log: match"));
  policy = Policy::Compile(Parse(AccessLogConfig(path, "response.code == 503")), "istio-system");
  ASSERT_TRUE(policy.ok()) << policy.status();
  (*policy)->Report({{"request.path", std::string("/ok")}, {"response.code", int64_t{200}}});
  (*policy)->Report({{"request.path", std::string("/down")}, {"response.code", int64_t{503}}});
  std::ifstream in(path);
  std::string line, all;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    all += line;
  }
  EXPECT_EQ(lines, 1);  // only the 503 matched
  EXPECT_THAT(all, HasSubstr("\"level\":\"error\""));
  EXPECT_THAT(all, HasSubstr("\"path\":\"/down\""));
  EXPECT_THAT(all, HasSubstr("\"code\":503"));
}

// A Check answer depends on what the check rules read, not on what the
// telemetry rules read (those would make every request a cache miss); and
// the version follows the config.
TEST(PolicyTest, CheckReferencesOnlyWhatCheckRulesReadAndVersionFollowsConfig) {
  const std::string denier = R"(---
apiVersion: config.istio.io/v1alpha2
kind: handler
metadata: {name: deny, namespace: istio-system}
spec: {compiledAdapter: denier, params: {status: {code: 7, message: no}}}
---
apiVersion: config.istio.io/v1alpha2
kind: instance
metadata: {name: nothing, namespace: istio-system}
spec: {compiledTemplate: checknothing}
---
apiVersion: config.istio.io/v1alpha2
kind: rule
metadata: {name: deny, namespace: istio-system}
spec:
  match: request.path == "/secret"
  actions: [{handler: deny, instances: [nothing]}]
)";
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Compile(
      Parse(AccessLogConfig("/dev/null", "response.code == 503") + denier), "istio-system");
  ASSERT_TRUE(policy.ok()) << policy.status();
  absl::flat_hash_set<AttributeReference> referenced;
  CheckResult result = (*policy)->Check({{"request.path", std::string("/secret")}}, &referenced);
  EXPECT_EQ(result.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(referenced, ::testing::UnorderedElementsAre(
                              AttributeReference{.name = "destination.namespace"},
                              AttributeReference{.name = "request.path"}));
  absl::StatusOr<std::shared_ptr<const Policy>> same = Policy::Compile(
      Parse(AccessLogConfig("/dev/null", "response.code == 503") + denier), "istio-system");
  absl::StatusOr<std::shared_ptr<const Policy>> changed = Policy::Compile(
      Parse(AccessLogConfig("/dev/null", "response.code == 500") + denier), "istio-system");
  ASSERT_TRUE(same.ok() && changed.ok());
  EXPECT_EQ((*same)->version(), (*policy)->version());
  EXPECT_NE((*changed)->version(), (*policy)->version());
}

// Keel's sample of Istio's standard metrics compiles against Istio 1.4's
// attribute manifest, and an inbound request's report becomes
// istio_requests_total{reporter="destination",...} and the duration histogram.
TEST(PolicyTest, StandardMetricsSampleCountsRequestsWithIstiosLabels) {
  const std::string runfiles =
      std::string(std::getenv("TEST_SRCDIR")) + "/" + std::getenv("TEST_WORKSPACE");
  const std::string config =
      mesh::testing::ReadFile(mesh::testing::IstioTestdataDir() + "/mixer-api-1.4/attributes.yaml") +
      "\n---\n" + mesh::testing::ReadFile(runfiles + "/samples/mixer/telemetry.yaml");
  absl::StatusOr<std::shared_ptr<const Policy>> policy =
      Policy::Compile(Parse(config), "istio-system");
  ASSERT_TRUE(policy.ok()) << policy.status();
  const AttributeBag inbound = {
      {"context.reporter.kind", std::string("inbound")},
      {"context.protocol", std::string("grpc")},
      {"destination.workload.name", std::string("echo-v1")},
      {"destination.service.host", std::string("echo.default.svc.cluster.local")},
      {"source.principal", std::string("cluster.local/ns/default/sa/client")},
      {"connection.mtls", true},
      {"response.code", int64_t{200}},
      {"response.duration", absl::Milliseconds(3)},
      {"request.size", int64_t{12}},
  };
  (*policy)->Report(inbound);
  (*policy)->Report(inbound);
  AttributeBag probe = inbound;
  probe["request.useragent"] = std::string("kube-probe/1.17");
  (*policy)->Report(probe);  // not counted: the rule leaves probes out
  std::string text;
  for (const auto& family : (*policy)->adapter_metrics()->Collect()) {
    for (const auto& metric : family.metric) {
      std::string labels;
      for (const auto& label : metric.label) labels += label.name + "=" + label.value + ",";
      text += family.name + "{" + labels + "} " +
              std::to_string(family.type == prometheus::MetricType::Counter
                                 ? metric.counter.value
                                 : static_cast<double>(metric.histogram.sample_count)) +
              "\n";
    }
  }
  EXPECT_THAT(text, HasSubstr("istio_requests_total{connection_security_policy=mutual_tls,"));
  EXPECT_THAT(text, ::testing::ContainsRegex(
                        "istio_requests_total\\{[^}]*destination_service=echo.default.svc.cluster.local,"
                        "[^}]*reporter=destination,[^}]*response_code=200,[^}]*source_principal=cluster.local/"
                        "ns/default/sa/client,[^}]*\\} 2\\.0"));
  EXPECT_THAT(text, ::testing::ContainsRegex("istio_request_duration_seconds\\{[^}]*\\} 2\\.0"));
  EXPECT_THAT(text, ::testing::ContainsRegex("istio_request_bytes\\{[^}]*\\} 2\\.0"));
}

// samples/mixer (what the demo's Galley serves) compiles on its own
// manifest, and its denier refuses only mallory.
TEST(PolicyTest, DemoMixerSamplesCompileAndDenyMallory) {
  const std::string dir = std::string(std::getenv("TEST_SRCDIR")) + "/" +
                          std::getenv("TEST_WORKSPACE") + "/samples/mixer/";
  std::string config;
  for (const char* file : {"attributes.yaml", "telemetry.yaml", "deny-mallory.yaml"}) {
    config += mesh::testing::ReadFile(dir + file) + "\n---\n";
  }
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Compile(Parse(config), "istio-system");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ((*policy)->rule_count(), 2u);
  const CheckResult mallory =
      (*policy)->Check({{"request.headers", StringMap{{"x-user", "mallory"}}}});
  EXPECT_EQ(mallory.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(mallory.status.message(), "mallory is not allowed");
  EXPECT_TRUE((*policy)->Check({{"request.headers", StringMap{{"x-user", "bob"}}}}).status.ok());
  EXPECT_TRUE((*policy)->Check({}).status.ok());
}

// QuotaSpec clauses (exact, prefix, regex; all of a clause, any clause)
// and bindings (short name + namespace, FQDN, "*").
TEST(QuotaSpecsTest, BindingsAndClausesSelectTheCharges) {
  const std::string config = R"(apiVersion: config.istio.io/v1alpha2
kind: QuotaSpec
metadata: {name: books, namespace: istio-system}
spec:
  rules:
  - match:
    - clause:
        request.path: {prefix: /books}
        request.method: {exact: POST}
    - clause:
        api.operation: {regex: "create_.*"}
    quotas: [{quota: write_count, charge: 2}]
  - quotas: [{quota: request_count, charge: 1}]
---
apiVersion: config.istio.io/v1alpha2
kind: QuotaSpecBinding
metadata: {name: books, namespace: istio-system}
spec:
  services: [{name: bookstore, namespace: shop}, {service: library.example.com}]
  quotaSpecs: [{name: books}]
)";
  absl::StatusOr<QuotaSpecs> specs = QuotaSpecs::Compile(Parse(config));
  ASSERT_TRUE(specs.ok()) << specs.status();
  auto charges = [&](AttributeBag bag) {
    std::string out;
    for (const QuotaCharge& c : specs->For(bag)) out += c.quota + "=" + std::to_string(c.charge) + " ";
    return out;
  };
  const std::string store = "bookstore.shop.svc.cluster.local";
  EXPECT_EQ(charges({{"destination.service.host", store},
                     {"request.path", std::string("/books/1")},
                     {"request.method", std::string("POST")}}),
            "write_count=2 request_count=1 ");
  EXPECT_EQ(charges({{"destination.service.host", store},
                     {"request.path", std::string("/books/1")},
                     {"request.method", std::string("GET")}}),
            "request_count=1 ");
  EXPECT_EQ(charges({{"destination.service.host", std::string("library.example.com")},
                     {"api.operation", std::string("create_book")}}),
            "write_count=2 request_count=1 ");
  EXPECT_EQ(charges({{"destination.service.host", std::string("bookstore.other.svc.cluster.local")}}), "");

  absl::StatusOr<QuotaSpecs> dangling = QuotaSpecs::Compile(Parse(R"(apiVersion: config.istio.io/v1alpha2
kind: QuotaSpecBinding
metadata: {name: b, namespace: default}
spec:
  services: [{service: "*"}]
  quotaSpecs: [{name: missing}]
)"));
  EXPECT_THAT(dangling.status().message(),
              HasSubstr("QuotaSpecBinding default/b: QuotaSpec default/missing does not exist"));
}

// Istio's petstore HTTPAPISpec (from its reference docs): patterns give
// api.operation, the spec gives api.service/api.version, the API key comes
// from the query; an unbound service gets nothing; what was read is referenced.
TEST(ApiSpecsTest, PetstorePatternsGiveApiAttributes) {
  const std::string config = R"(apiVersion: config.istio.io/v1alpha2
kind: HTTPAPISpec
metadata: {name: petstore, namespace: default}
spec:
  attributes:
    attributes:
      api.service: {stringValue: petstore.swagger.io}
      api.version: {stringValue: 1.0.0}
  patterns:
  - attributes: {attributes: {api.operation: {stringValue: findPets}}}
    httpMethod: GET
    uriTemplate: /api/pets
  - attributes: {attributes: {api.operation: {stringValue: findPetById}}}
    httpMethod: GET
    uriTemplate: /api/pets/{id}
  - attributes: {attributes: {api.operation: {stringValue: deletePet}}}
    httpMethod: DELETE
    uriTemplate: /api/pets/{id}
  api_keys:
  - query: api-key
  - header: X-Api-Token
---
apiVersion: config.istio.io/v1alpha2
kind: HTTPAPISpecBinding
metadata: {name: my-binding, namespace: default}
spec:
  services: [{name: foo, namespace: bar}]
  api_specs: [{name: petstore, namespace: default}]
)";
  absl::StatusOr<ApiSpecs> specs = ApiSpecs::Compile(Parse(config));
  ASSERT_TRUE(specs.ok()) << specs.status();
  AttributeBag bag = {{"destination.service.host", std::string("foo.bar.svc.cluster.local")},
                      {"request.method", std::string("GET")},
                      {"request.path", std::string("/api/pets/7?api-key=abc")}};
  absl::flat_hash_set<AttributeReference> referenced;
  specs->Enrich(bag, &referenced);
  EXPECT_EQ(std::get<std::string>(bag.at("api.operation")), "findPetById");
  EXPECT_EQ(std::get<std::string>(bag.at("api.service")), "petstore.swagger.io");
  EXPECT_EQ(std::get<std::string>(bag.at("api.version")), "1.0.0");
  EXPECT_EQ(std::get<std::string>(bag.at("request.api_key")), "abc");
  EXPECT_TRUE(referenced.contains(AttributeReference{.name = "request.path"}));
  EXPECT_TRUE(referenced.contains(
      AttributeReference{.name = "request.headers", .map_key = std::string("x-api-token")}));

  AttributeBag del = {{"destination.service.host", std::string("foo.bar.svc.cluster.local")},
                      {"request.method", std::string("DELETE")},
                      {"request.path", std::string("/api/pets/7")},
                      {"request.headers", StringMap{{"x-api-token", "t0k"}}}};
  specs->Enrich(del);
  EXPECT_EQ(std::get<std::string>(del.at("api.operation")), "deletePet");
  EXPECT_EQ(std::get<std::string>(del.at("request.api_key")), "t0k");

  AttributeBag nested = {{"destination.service.host", std::string("foo.bar.svc.cluster.local")},
                         {"request.method", std::string("GET")},
                         {"request.path", std::string("/api/pets/7/toys")}};
  specs->Enrich(nested);
  EXPECT_EQ(nested.count("api.operation"), 0u);  // no pattern matches
  AttributeBag other = {{"destination.service.host", std::string("foo.other.svc.cluster.local")},
                        {"request.method", std::string("GET")},
                        {"request.path", std::string("/api/pets")}};
  specs->Enrich(other);
  EXPECT_EQ(other.count("api.service"), 0u);
}

// The authorization template's subject and action fields are expressions,
// type-checked like every other template's.
TEST(PolicyTest, AuthorizationInstancesTypeCheckTheirSubjectAndAction) {
  auto instance = [](const std::string& path) {
    return std::string(R"(apiVersion: config.istio.io/v1alpha2
kind: attributemanifest
metadata: {name: m, namespace: istio-system}
spec:
  attributes:
    source.principal: {valueType: STRING}
    request.path: {valueType: STRING}
    response.code: {valueType: INT64}
    destination.labels: {valueType: STRING_MAP}
---
apiVersion: config.istio.io/v1alpha2
kind: instance
metadata: {name: requestcontext, namespace: istio-system}
spec:
  compiledTemplate: authorization
  params:
    subject:
      user: source.principal | ""
      properties:
        version: destination.labels["version"] | ""
    action:
      path: )") + path + "\n";
  };
  EXPECT_TRUE(Policy::Compile(Parse(instance("request.path | \"/\"")), "istio-system").ok());
  absl::StatusOr<std::shared_ptr<const Policy>> bad =
      Policy::Compile(Parse(instance("response.code")), "istio-system");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("params.action.path"));
}

}  // namespace
}  // namespace keel::mixer
