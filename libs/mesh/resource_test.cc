#include "libs/mesh/resource.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/mesh/testing/hostile_yaml.h"
#include "proto/istio/networking/v1alpha3/virtual_service.pb.h"

namespace keel::mesh {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::vector<std::string> Strings(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diagnostics) out.push_back(d.ToString());
  return out;
}

constexpr char kReviews[] = R"(apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v1
      weight: 20
    - destination:
        host: reviews
        subset: v2
      weight: eighty
)";

TEST(ParseConfigFileTest, NamesFileLineColumnResourceAndField) {
  ParsedFile parsed = ParseConfigFile("reviews.yaml", kReviews);
  EXPECT_THAT(parsed.resources, IsEmpty());
  EXPECT_THAT(Strings(parsed.diagnostics),
              ElementsAre("reviews.yaml:17:7: VirtualService default/reviews: "
                          "spec.http[0].route[1].weight: expected integer, got \"eighty\""));
}

TEST(ParseConfigFileTest, ReadsMetadataAndDefaultsNamespace) {
  ParsedFile parsed = ParseConfigFile("a.yaml", R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
  labels: {app: ratings}
  annotations: {note: "x"}
  resourceVersion: "12"
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {host: ratings}
)");
  ASSERT_THAT(parsed.diagnostics, IsEmpty()) << Strings(parsed.diagnostics)[0];
  ASSERT_THAT(parsed.resources, SizeIs(1));
  const Resource& r = parsed.resources[0];
  EXPECT_EQ(r.Key(), "VirtualService/default/ratings");
  EXPECT_EQ(r.kind->type_url(), "networking.istio.io/v1alpha3/VirtualService");
  EXPECT_EQ(r.labels.at("app"), "ratings");
  EXPECT_EQ(r.annotations.at("note"), "x");
  EXPECT_EQ(r.resource_version, "12");  // a write's precondition, not content
  const auto& vs = static_cast<const istio::networking::v1alpha3::VirtualService&>(*r.spec);
  EXPECT_EQ(vs.http(0).route(0).destination().host(), "ratings");
  EXPECT_EQ(r.PositionOf("spec.http[0].route").line, 11);
}

TEST(ParseConfigFileTest, OneBrokenDocumentDoesNotLoseItsNeighbours) {
  ParsedFile parsed = ParseConfigFile("multi.yaml", R"(apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: first}
spec: {host: a}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: broken
spec: {host: b}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: third}
spec: {host: c}
)");
  ASSERT_THAT(parsed.resources, SizeIs(2));
  EXPECT_EQ(parsed.resources[0].name, "first");
  EXPECT_EQ(parsed.resources[1].name, "third");
  EXPECT_EQ(parsed.resources[1].position.line, 11);
  ASSERT_THAT(parsed.diagnostics, SizeIs(1));
  EXPECT_THAT(parsed.diagnostics[0].ToString(), HasSubstr("multi.yaml:9:"));
  EXPECT_THAT(parsed.diagnostics[0].message, HasSubstr("malformed YAML"));
}

TEST(ParseConfigFileTest, ForeignKindsAreSkippedWithAnInfoNote) {
  ParsedFile parsed = ParseConfigFile("app.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1}
spec: {replicas: 1}
---
apiVersion: v1
kind: Service
metadata: {name: reviews}
)");
  EXPECT_THAT(parsed.resources, IsEmpty());
  ASSERT_THAT(parsed.diagnostics, SizeIs(1));
  EXPECT_EQ(parsed.diagnostics[0].level, Level::kInfo);
  // A core/v1 Service is kept for analysis (a VirtualService may route to it).
  ASSERT_THAT(parsed.kube_objects, SizeIs(1));
  EXPECT_EQ(parsed.kube_objects[0].kind, "Service");
  EXPECT_EQ(parsed.kube_objects[0].name, "reviews");
  EXPECT_EQ(parsed.kube_objects[0].namespace_name, "default");
  EXPECT_EQ(
      parsed.diagnostics[0].ToString(),
      "app.yaml:1:1: Deployment default/reviews-v1: skipped: apps/v1 Deployment is not a kind "
      "Keel handles");
  EXPECT_FALSE(HasErrors(parsed.diagnostics));
}

TEST(ParseConfigFileTest, UnsupportedVersionOfAKnownKindIsAnError) {
  ParsedFile parsed = ParseConfigFile("v.yaml", R"(apiVersion: networking.istio.io/v2
kind: Gateway
metadata: {name: g}
)");
  ASSERT_THAT(parsed.diagnostics, SizeIs(1));
  EXPECT_EQ(
      parsed.diagnostics[0].ToString(),
      "v.yaml:1:13: Gateway default/g: apiVersion: version \"networking.istio.io/v2\" of Gateway "
      "is not supported (want v1alpha3, v1beta1, v1)");
}

TEST(ParseConfigFileTest, StructuralErrors) {
  ParsedFile parsed = ParseConfigFile("s.yaml", R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  namespace: istio-system
  owner: me
spek: {}
---
- just
- a list
---
kind: Gateway
)");
  EXPECT_THAT(
      Strings(parsed.diagnostics),
      ElementsAre("s.yaml:5:3: Gateway istio-system/: metadata.owner: unknown field \"owner\"",
                  "s.yaml:6:1: Gateway istio-system/: spek: unknown field \"spek\" (want "
                  "apiVersion, kind, metadata, spec)",
                  "s.yaml:4:3: Gateway istio-system/: metadata.name: required",
                  "s.yaml:8:1: expected a Kubernetes object (a map), got a list",
                  "s.yaml:11:1: apiVersion: missing or not a string"));
}

TEST(ParseConfigFileTest, DeepNestingIsRefused) {
  std::string deep =
      "apiVersion: config.istio.io/v1alpha2\nkind: handler\nmetadata: {name: h}\nspec:\n  params: ";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  ParsedFile parsed = ParseConfigFile("deep.yaml", deep);
  EXPECT_THAT(parsed.resources, IsEmpty());
  ASSERT_THAT(parsed.diagnostics, SizeIs(1));
  EXPECT_THAT(parsed.diagnostics[0].message, HasSubstr("nested more than 64 levels deep"));
}

// The test's own timeout is the bound: before the node budget, this walk
// never ended.
TEST(ParseConfigFileTest, AliasBombIsRefusedAndItsNeighboursLoad) {
  const std::string bomb = testing::AliasBombYaml();
  ASSERT_LT(bomb.size(), 700u);
  ParsedFile parsed =
      ParseConfigFile("bomb.yaml", bomb + "---\n" + R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: fine}
spec: {host: fine}
)");
  ASSERT_THAT(parsed.resources, SizeIs(1));
  EXPECT_EQ(parsed.resources[0].name, "fine");
  ASSERT_THAT(parsed.diagnostics, SizeIs(1));
  EXPECT_THAT(parsed.diagnostics[0].ToString(),
              HasSubstr("bomb.yaml:1:1: VirtualService default/bomb: YAML aliases expand to too "
                        "many nodes"));
}

TEST(ParseConfigFileTest, NestedListsOfAliasesAreBounded) {
  std::string yaml = "apiVersion: v1\nkind: List\nx1: &l1 [";
  for (int i = 0; i < 8; ++i)
    yaml += std::string(i ? ", " : "") + "{apiVersion: v1, kind: Foo, metadata: {name: f}}";
  yaml += "]\n";
  for (int level = 2; level <= 9; ++level) {
    yaml += absl::StrCat("x", level, ": &l", level, " [");
    for (int i = 0; i < 8; ++i) {
      yaml += absl::StrCat(i ? ", " : "", "{apiVersion: v1, kind: List, items: *l", level - 1, "}");
    }
    yaml += "]\n";
  }
  yaml += "items: *l9\n";
  ParsedFile parsed = ParseConfigFile("lists.yaml", yaml);
  EXPECT_THAT(parsed.resources, IsEmpty());
  EXPECT_THAT(Strings(parsed.diagnostics),
              Contains(HasSubstr("YAML aliases expand to too many nodes")));
  int errors = 0;
  for (const Diagnostic& d : parsed.diagnostics) errors += d.level == Level::kError;
  EXPECT_EQ(errors, 1);
}

TEST(ParseConfigFileTest, ModestAliasReuseIsAccepted) {
  ParsedFile parsed = ParseConfigFile("anchors.yaml", R"(apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy: &policy
    connectionPool: {tcp: {maxConnections: 100}, http: {http1MaxPendingRequests: 10}}
    outlierDetection: {consecutiveErrors: 5, interval: 10s, baseEjectionTime: 30s}
  subsets:
  - {name: v1, labels: {version: v1}, trafficPolicy: *policy}
  - {name: v2, labels: {version: v2}, trafficPolicy: *policy}
  - {name: v3, labels: {version: v3}, trafficPolicy: *policy}
)");
  EXPECT_THAT(parsed.diagnostics, IsEmpty());
  EXPECT_THAT(parsed.resources, SizeIs(1));
}

TEST(ParseConfigFileTest, ListKindIsUnwrapped) {
  ParsedFile parsed = ParseConfigFile("list.yaml", R"(apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata: {name: a}
  spec: {host: a}
)");
  EXPECT_THAT(parsed.diagnostics, IsEmpty());
  EXPECT_THAT(parsed.resources, SizeIs(1));
}

TEST(ContentHashTest, ChangesWithSpecAndMetadataOnly) {
  auto parse = [](const std::string& text) {
    return ParseConfigFile("h.yaml", text).resources.at(0);
  };
  Resource a = parse(
      "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a}\nspec: "
      "{host: a}\n");
  Resource moved = parse(
      "\n\n# a comment moves it\napiVersion: networking.istio.io/v1\nkind: "
      "DestinationRule\nmetadata: {name: a}\nspec: {host: a}\n");
  Resource changed = parse(
      "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a}\nspec: "
      "{host: b}\n");
  Resource labelled = parse(
      "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a, labels: {x: "
      "y}}\nspec: {host: a}\n");
  EXPECT_EQ(a.ContentHash(), moved.ContentHash());
  EXPECT_NE(a.ContentHash(), changed.ContentHash());
  EXPECT_NE(a.ContentHash(), labelled.ContentHash());
}

}  // namespace
}  // namespace keel::mesh
