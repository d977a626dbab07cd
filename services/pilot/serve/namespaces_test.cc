// Namespace semantics as Istio 1.4 defines them: exportTo, which rule
// applies to which proxy, and the root namespace from the mesh config.
#include <string>

#include "absl/strings/str_cat.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/mesh/mesh_config.h"
#include "services/pilot/generators/generators.h"
#include "services/pilot/generators/table.h"
#include "services/pilot/serve/pilot_source.h"
#include "services/pilot/testing/push_context.h"

namespace keel::pilot {
namespace {

using envoy::config::cluster::v3::Cluster;
using envoy::config::route::v3::RouteConfiguration;
using testing::BookinfoContextWith;
using testing::Get;

constexpr char kReviews[] = "reviews.default.svc.cluster.local:9080";
constexpr char kReviewsHost[] = "reviews.default.svc.cluster.local";
const Proxy kTeamA{.id = "a~10.1.0.1~app.team-a~x", .namespace_name = "team-a"};
const Proxy kTeamB{.id = "b~10.2.0.1~app.team-b~x", .namespace_name = "team-b"};

std::string Doc(const std::string& kind, const std::string& name, const std::string& ns,
                const std::string& spec) {
  return "---\napiVersion: networking.istio.io/v1alpha3\nkind: " + kind +
         "\nmetadata: {name: " + name + ", namespace: " + ns + "}\nspec:\n" + spec;
}

std::string Subsets() {
  return Doc("DestinationRule", "reviews", "default",
             "  host: reviews\n  subsets:\n  - {name: v1, labels: {version: v1}}\n"
             "  - {name: v2, labels: {version: v2}}\n");
}

TEST(NamespacesTest, AVirtualServiceExportedToItsNamespaceRoutesOnlyThere) {
  auto context = BookinfoContextWith(
      Subsets() + Doc("VirtualService", "reviews", "team-a",
                      "  hosts: [reviews.default.svc.cluster.local]\n  exportTo: [\".\"]\n"
                      "  http:\n  - route:\n    - destination: {host: "
                      "reviews.default.svc.cluster.local, subset: v2}\n"));
  EXPECT_FALSE(context->NamespaceIndependent());
  auto a = Get<RouteConfiguration>(*GenerateRoutes(*context, kTeamA), kReviews);
  EXPECT_EQ(a.virtual_hosts(0).routes(0).route().cluster(), ClusterName(9080, "v2", kReviewsHost));
  auto b = Get<RouteConfiguration>(*GenerateRoutes(*context, kTeamB), kReviews);
  EXPECT_EQ(b.virtual_hosts(0).routes(0).name(), "default");
  EXPECT_EQ(b.virtual_hosts(0).routes(0).route().cluster(), ClusterName(9080, "", kReviewsHost));
}

TEST(NamespacesTest, PrivateVirtualServicesComeBeforePublicOnes) {
  auto context = BookinfoContextWith(
      Subsets() +
      Doc("VirtualService", "a-public", "other",
          "  hosts: [reviews.default.svc.cluster.local]\n  http:\n  - route:\n    - destination: "
          "{host: reviews.default.svc.cluster.local, subset: v1}\n") +
      Doc("VirtualService", "z-private", "team-a",
          "  hosts: [reviews.default.svc.cluster.local]\n  exportTo: [\".\"]\n  http:\n  - route:\n"
          "    - destination: {host: reviews.default.svc.cluster.local, subset: v2}\n"));
  EXPECT_EQ(Get<RouteConfiguration>(*GenerateRoutes(*context, kTeamA), kReviews)
                .virtual_hosts(0)
                .routes(0)
                .route()
                .cluster(),
            ClusterName(9080, "v2", kReviewsHost));
  EXPECT_EQ(Get<RouteConfiguration>(*GenerateRoutes(*context, kTeamB), kReviews)
                .virtual_hosts(0)
                .routes(0)
                .route()
                .cluster(),
            ClusterName(9080, "v1", kReviewsHost));
}

// A rule in the proxy's namespace, else the service's namespace (if
// exported), else the root namespace.
TEST(NamespacesTest, DestinationRulePrecedenceFollowsIstio14) {
  const std::string rules =
      Doc("DestinationRule", "mine", "team-a",
          "  host: reviews.default.svc.cluster.local\n  trafficPolicy: {loadBalancer: {simple: "
          "LEAST_CONN}}\n") +
      Doc("DestinationRule", "service-ns", "default",
          "  host: reviews\n  trafficPolicy:\n    loadBalancer:\n      consistentHash: "
          "{httpHeaderName: x-user}\n") +
      Doc("DestinationRule", "root", "istio-system",
          "  host: reviews.default.svc.cluster.local\n  trafficPolicy: {loadBalancer: {simple: "
          "ROUND_ROBIN}}\n");
  auto lb_of = [](const std::string& yaml, const Proxy& proxy) {
    auto context = BookinfoContextWith(yaml);
    return Get<Cluster>(*GenerateClusters(*context, proxy), ClusterName(9080, "", kReviewsHost))
        .lb_policy();
  };
  EXPECT_EQ(lb_of(rules, kTeamA), Cluster::LEAST_REQUEST);  // its own namespace's
  EXPECT_EQ(lb_of(rules, kTeamB), Cluster::RING_HASH);      // the service's namespace's
  // The service namespace's rule kept to itself: team-b falls back to the root's.
  const std::string private_rule =
      Doc("DestinationRule", "service-ns", "default",
          "  host: reviews\n  exportTo: [\".\"]\n  trafficPolicy:\n    loadBalancer:\n"
          "      consistentHash: {httpHeaderName: x-user}\n") +
      Doc("DestinationRule", "root", "istio-system",
          "  host: reviews.default.svc.cluster.local\n  trafficPolicy: {loadBalancer: {simple: "
          "LEAST_CONN}}\n");
  EXPECT_EQ(lb_of(private_rule, kTeamB), Cluster::LEAST_REQUEST);
  EXPECT_EQ(lb_of(private_rule, Proxy{.namespace_name = "default"}), Cluster::RING_HASH);
}

TEST(NamespacesTest, AServiceEntryExportedToItsNamespaceIsInvisibleElsewhere) {
  auto context = BookinfoContextWith(
      Doc("ServiceEntry", "private-api", "team-a",
          "  hosts: [api.internal]\n  exportTo: [\".\"]\n  location: MESH_INTERNAL\n"
          "  ports: [{number: 8080, name: grpc, protocol: GRPC}]\n  resolution: STATIC\n"
          "  endpoints: [{address: 10.5.0.1}]\n"));
  EXPECT_EQ(GenerateType(kListenerType, *context, kTeamA)->resources.count("api.internal:8080"), 1u);
  EXPECT_EQ(GenerateType(kListenerType, *context, kTeamB)->resources.count("api.internal:8080"), 0u);
  EXPECT_EQ(
      GenerateClusters(*context, kTeamB)->resources.count(ClusterName(8080, "", "api.internal")),
      0u);
}

TEST(NamespacesTest, MeshDefaultExportToApplies) {
  PushOptions options;
  options.mesh.clear_default_virtual_service_export_to();
  options.mesh.add_default_virtual_service_export_to(".");
  auto context = BookinfoContextWith(
      Subsets() + Doc("VirtualService", "reviews", "team-a",
                      "  hosts: [reviews.default.svc.cluster.local]\n  http:\n  - route:\n"
                      "    - destination: {host: reviews.default.svc.cluster.local, subset: "
                      "v2}\n"),
      options);
  EXPECT_EQ(Get<RouteConfiguration>(*GenerateRoutes(*context, kTeamB), kReviews)
                .virtual_hosts(0)
                .routes(0)
                .name(),
            "default");
}

// The root namespace is the mesh config's: its Sidecar is every
// namespace's default.
TEST(NamespacesTest, RootNamespaceComesFromTheMeshConfig) {
  const std::string sidecar =
      Doc("Sidecar", "default", "keel-system", "  egress:\n  - hosts: [\"istio-system/*\"]\n");
  auto istio_root = BookinfoContextWith(sidecar);
  EXPECT_EQ(GenerateType(kListenerType, *istio_root, kTeamB)->resources.count(kReviews), 1u);
  PushOptions options;
  options.mesh.set_root_namespace("keel-system");
  auto keel_root = BookinfoContextWith(sidecar, options);
  EXPECT_EQ(GenerateType(kListenerType, *keel_root, kTeamB)->resources.count(kReviews), 0u);
}

// A Sidecar selecting a workload wins over the namespace default for that
// workload only; "~/*" imports nothing.
TEST(NamespacesTest, AWorkloadSelectingSidecarWinsForItsWorkloads) {
  const std::string sidecars =
      Doc("Sidecar", "default", "team-a", "  egress:\n  - hosts: [\"~/*\"]\n") +
      Doc("Sidecar", "frontend", "team-a",
          "  workloadSelector: {labels: {app: frontend}}\n  egress:\n  - hosts: "
          "[\"default/*\"]\n");
  auto context = BookinfoContextWith(sidecars);
  Proxy frontend = kTeamA;
  frontend.labels = {{"app", "frontend"}, {"version", "v1"}};
  Proxy other = kTeamA;
  other.labels = {{"app", "backend"}};
  EXPECT_EQ(GenerateType(kListenerType, *context, frontend)->resources.count(kReviews), 1u);
  EXPECT_EQ(GenerateType(kListenerType, *context, other)->resources.count(kReviews), 0u);
  EXPECT_EQ(context->SidecarResourceFor(frontend)->resource->name, "frontend");
  EXPECT_EQ(context->SidecarResourceFor(other)->resource->name, "default");
}

TEST(NamespacesTest, AMeshWithoutNamespaceRulesIsGeneratedOnce) {
  EXPECT_TRUE(BookinfoContextWith(Subsets())->NamespaceIndependent());
  EXPECT_FALSE(BookinfoContextWith(Doc("DestinationRule", "elsewhere", "team-a",
                                       "  host: reviews.default.svc.cluster.local\n"))
                   ->NamespaceIndependent());
}

// Namespaces and localities come from the client: the views generated for
// them are cached only up to a bound, and past it still served.
TEST(NamespacesTest, ViewsCachedForClientNamespacesAreBounded) {
  auto context = BookinfoContextWith(
      Subsets() + Doc("VirtualService", "reviews", "team-a",
                      "  hosts: [reviews.default.svc.cluster.local]\n  exportTo: [\".\"]\n"
                      "  http:\n  - route:\n    - destination: {host: "
                      "reviews.default.svc.cluster.local, subset: v2}\n"));
  ASSERT_FALSE(context->NamespaceIndependent());
  PilotSource source;
  source.Set({{kRouteType, GenerateRoutes(*context)}}, context);
  for (int i = 0; i < 5000; ++i) {
    envoy::config::core::v3::Node node;
    node.set_id(absl::StrCat("client~10.0.0.1~pod.made-up-", i));
    ASSERT_NE(source.Resources(kRouteType, node), nullptr);
  }
  EXPECT_LE(source.CachedViews(), 4096u);
  EXPECT_GE(source.CachedViews(), 1000u);  // it does cache, up to the bound
}

}  // namespace
}  // namespace keel::pilot
