#include "libs/mesh/analysis.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::mesh {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> AnalyzeText(const std::string& text) {
  static std::vector<ParsedFile> keep;  // resources must outlive the pointers
  keep.push_back(ParseConfigFile("mesh.yaml", text));
  EXPECT_THAT(keep.back().diagnostics, IsEmpty());
  std::vector<const Resource*> resources;
  for (const Resource& r : keep.back().resources) resources.push_back(&r);
  std::vector<const KubeObject*> kube_objects;
  for (const KubeObject& o : keep.back().kube_objects) kube_objects.push_back(&o);
  std::vector<std::string> out;
  for (const Diagnostic& d : Analyze(resources, kube_objects)) out.push_back(d.ToString());
  return out;
}

constexpr char kRegistry[] = R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: echo}
spec:
  hosts: [echo.default.svc.cluster.local]
  location: MESH_INTERNAL
  addresses: [240.0.0.1]
  ports: [{number: 7070, name: grpc, protocol: GRPC}]
  resolution: STATIC
  workloadSelector: {labels: {app: echo}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo}
spec:
  host: echo
  subsets: [{name: v1, labels: {version: v1}}]
)";

TEST(AnalyzeTest, ConsistentConfigHasNoFindings) {
  EXPECT_THAT(AnalyzeText(std::string(kRegistry) + R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo}
spec:
  hosts: [echo]
  http:
  - route:
    - destination: {host: echo, subset: v1}
)"),
              IsEmpty());
}

TEST(AnalyzeTest, MissingHostAndSubsetAreIst0101) {
  EXPECT_THAT(
      AnalyzeText(std::string(kRegistry) + R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo}
spec:
  hosts: [echo]
  http:
  - route:
    - destination: {host: echo, subset: v9}
    - destination: {host: nowhere}
)"),
      ElementsAre(
          "mesh.yaml:26:33: Error [IST0101] VirtualService default/echo: "
          "spec.http[0].route[0].destination.subset: Referenced host+subset in "
          "destinationrule not found: \"echo+v9\"",
          "mesh.yaml:27:21: Error [IST0101] VirtualService default/echo: "
          "spec.http[0].route[1].destination.host: Referenced host not found: \"nowhere\""));
}

TEST(AnalyzeTest, GatewayReferencesAndHosts) {
  EXPECT_THAT(
      AnalyzeText(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [shop.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: front}
spec:
  hosts: [other.example.com]
  gateways: [gw, missing]
  http:
  - directResponse: {status: 200}
)"),
      ElementsAre(
          "mesh.yaml:15:14: Warning [IST0132] VirtualService default/front: spec.gateways[0]: "
          "one or more host [other.example.com] defined in VirtualService default/front not "
          "found in Gateway default/gw.",
          // A missing gateway is IST0101 alone (no host check against nothing).
          "mesh.yaml:15:18: Error [IST0101] VirtualService default/front: spec.gateways[1]: "
          "Referenced gateway not found: \"missing\""));
}

TEST(AnalyzeTest, ConflictsBetweenResources) {
  std::vector<std::string> findings = AnalyzeText(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a}
spec:
  hosts: [reviews]
  http: [{directResponse: {status: 200}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http: [{directResponse: {status: 200}}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: g1}
spec:
  selector: {istio: ingress}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [a.com]}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: g2}
spec:
  selector: {istio: ingress}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [a.com]}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: r1}
spec: {host: reviews}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: r2}
spec: {host: reviews.default.svc.cluster.local}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: s1}
spec: {egress: [{hosts: ["./*"]}]}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: s2}
spec: {egress: [{hosts: ["./*"]}]}
)");
  auto count = [&](const std::string& code) {
    return std::count_if(findings.begin(), findings.end(),
                         [&](const std::string& f) { return f.find(code) != std::string::npos; });
  };
  EXPECT_EQ(count("[IST0109]"), 2);   // both VirtualServices
  EXPECT_EQ(count("[IST0145]"), 2);   // both Gateways
  EXPECT_EQ(count("[KEEL0001]"), 2);  // both DestinationRules
  EXPECT_EQ(count("[IST0111]"), 2);   // both Sidecars
  EXPECT_EQ(count("[IST0174]"), 2);   // neither DestinationRule host is in the registry
}

TEST(HostsMatchTest, Wildcards) {
  EXPECT_TRUE(HostsMatch("*.example.com", "a.example.com"));
  EXPECT_TRUE(HostsMatch("*", "anything"));
  EXPECT_FALSE(HostsMatch("*.example.com", "example.com"));
  EXPECT_TRUE(HostsMatch("Reviews", "reviews"));
  EXPECT_EQ(ToFqdn("prod", "reviews", "cluster.local"), "reviews.prod.svc.cluster.local");
  EXPECT_EQ(ToFqdn("prod", "reviews.other", "cluster.local"), "reviews.other");
}

// Users analyze whole manifest folders: Kubernetes Services are hosts
// (name.namespace.svc.cluster.local, short names from the VirtualService's
// namespace), Namespaces and Pods are read without complaint.
TEST(AnalyzeTest, KubernetesServicesAreDestinationHosts) {
  constexpr char kKube[] = R"(apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec:
  selector: {app: reviews}
  ports:
  - {name: http, port: 9080, targetPort: 9080}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-1, namespace: shop, labels: {app: reviews}}
spec:
  containers: [{name: app, image: reviews}]
)";
  EXPECT_THAT(AnalyzeText(std::string(kKube) + R"(---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
    - destination: {host: reviews.shop.svc.cluster.local, port: {number: 9080}}
      weight: 0
    - destination: {host: reviews.shop.svc.cluster.local}
      weight: 100
)"),
              IsEmpty());
  EXPECT_THAT(AnalyzeText(std::string(kKube) + R"(---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews, namespace: other}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, port: {number: 9080}}
    - destination: {host: reviews.shop.svc.cluster.local, port: {number: 80}}
)"),
              ElementsAre(::testing::HasSubstr("Referenced host not found: \"reviews\""),
                          ::testing::HasSubstr("Referenced host:port not found: "
                                               "\"reviews.shop.svc.cluster.local:80\"")));
}

// istio/istio#42561: one VirtualService naming a host twice (short and
// FQDN) does not conflict with itself.
TEST(AnalyzeTest, AVirtualServiceNeverConflictsWithItself) {
  for (const std::string& finding : AnalyzeText(std::string(kRegistry) + R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo}
spec:
  hosts: [echo, echo.default.svc.cluster.local]
  http:
  - route:
    - destination: {host: echo, subset: v1}
)")) {
    EXPECT_THAT(finding, ::testing::Not(::testing::HasSubstr("IST0109")));
  }
}

// exportTo scopes both references and conflicts, as Istio 1.4 keys them.
TEST(AnalyzeTest, ExportToScopesReferencesAndConflicts) {
  constexpr char kPrivateEntry[] = R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: team-b}
spec:
  hosts: [api.internal]
  exportTo: ["."]
  addresses: [240.0.0.9]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 10.0.0.9}]
)";
  // A reference across the export boundary is not found...
  EXPECT_THAT(AnalyzeText(std::string(kPrivateEntry) + R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: front, namespace: team-a}
spec:
  hosts: [front.team-a.svc.cluster.local]
  http:
  - route:
    - destination: {host: api.internal}
)"),
              ::testing::Contains(::testing::HasSubstr(
                  "IST0101] VirtualService team-a/front: spec.http[0].route[0].destination.host: "
                  "Referenced host not found: \"api.internal\"")));
  // ...and found from inside it.
  EXPECT_THAT(AnalyzeText(std::string(kPrivateEntry) + R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: front, namespace: team-b}
spec:
  hosts: [front.team-b.svc.cluster.local]
  exportTo: ["."]
  http:
  - route:
    - destination: {host: api.internal}
)"),
              ::testing::Not(::testing::Contains(::testing::HasSubstr("IST0101"))));
  // The same host claimed in two namespaces, each kept to itself: no conflict.
  std::vector<std::string> findings = AnalyzeText(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r, namespace: team-a}
spec:
  hosts: [ratings.shop.svc.cluster.local]
  exportTo: ["."]
  http: [{directResponse: {status: 200}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r, namespace: team-b}
spec:
  hosts: [ratings.shop.svc.cluster.local]
  exportTo: ["."]
  http: [{directResponse: {status: 200}}]
)");
  for (const std::string& finding : findings) {
    EXPECT_THAT(finding, ::testing::Not(::testing::HasSubstr("IST0109")));
  }
}

// The mesh config's defaults apply to resources that give no exportTo.
TEST(AnalyzeTest, MeshDefaultExportToApplies) {
  ParsedFile parsed = ParseConfigFile("mesh.yaml", R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: team-b}
spec:
  hosts: [api.internal]
  addresses: [240.0.0.9]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 10.0.0.9}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: front, namespace: team-a}
spec:
  hosts: [front.team-a.svc.cluster.local]
  http:
  - route:
    - destination: {host: api.internal}
)");
  std::vector<const Resource*> resources;
  for (const Resource& r : parsed.resources) resources.push_back(&r);
  EXPECT_THAT(Analyze(resources), IsEmpty());
  AnalysisOptions kept_home;
  kept_home.default_service_export_to = {"."};
  std::vector<Diagnostic> found = Analyze(resources, {}, kept_home);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].code, "IST0101");
}

TEST(ParseTest, NestingPastTheLimitNamesTheLimitAndLine) {
  std::string deep = "a: ";
  for (int i = 0; i < 600; ++i) deep += "[";
  ParsedFile parsed = ParseConfigFile("deep.yaml", "# comment\n" + deep + "\n");
  ASSERT_EQ(parsed.diagnostics.size(), 1u);
  EXPECT_THAT(parsed.diagnostics[0].ToString(),
              ::testing::MatchesRegex("deep.yaml:[2-4]:[0-9]+: malformed YAML: nested more than "
                                      "64 levels deep .*"));
}

}  // namespace
}  // namespace keel::mesh
