#include "services/pilot/push/dependencies.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/mesh/resource.h"
#include "services/pilot/push/push_context.h"

namespace keel::pilot {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::set<Part> Affected(std::initializer_list<const char*> kinds) {
  std::set<ConfigKey> changes;
  for (const char* kind : kinds)
    changes.insert({.kind = kind, .namespace_name = "ns", .name = "n"});
  return PartsAffectedBy(changes);
}

TEST(DependenciesTest, AWorkloadEntryTouchesEndpointsAndInboundListenersOnly) {
  EXPECT_THAT(Affected({"WorkloadEntry"}), ElementsAre(Part::kInboundListeners, Part::kEndpoints));
}

TEST(DependenciesTest, AVirtualServiceTouchesRoutesAndOutboundListeners) {
  EXPECT_THAT(Affected({"VirtualService"}), ElementsAre(Part::kOutboundListeners, Part::kRoutes));
}

TEST(DependenciesTest, ADestinationRuleTouchesRoutesClustersAndEndpoints) {
  EXPECT_THAT(Affected({"DestinationRule"}),
              ElementsAre(Part::kRoutes, Part::kClusters, Part::kEndpoints));
}

TEST(DependenciesTest, ServicesSidecarsAndFiltersTouchEverythingTheyShape) {
  EXPECT_EQ(Affected({"ServiceEntry"}).size(), std::size(kAllParts));
  EXPECT_EQ(Affected({"Sidecar"}).size(), std::size(kAllParts));
  EXPECT_THAT(Affected({"EnvoyFilter"}),
              ElementsAre(Part::kOutboundListeners, Part::kInboundListeners, Part::kRoutes,
                          Part::kClusters));
  EXPECT_THAT(Affected({"AuthorizationPolicy"}), ElementsAre(Part::kInboundListeners));
}

TEST(DependenciesTest, KindsNoGeneratorReadsTouchNothing) {
  EXPECT_THAT(Affected({"Gateway", "rule", "handler"}), IsEmpty());
  EXPECT_THAT(PartsAffectedBy({}), IsEmpty());
}

TEST(DependenciesTest, ChangesCombine) {
  EXPECT_THAT(Affected({"WorkloadEntry", "VirtualService"}),
              ElementsAre(Part::kOutboundListeners, Part::kInboundListeners, Part::kRoutes,
                          Part::kEndpoints));
}

std::vector<std::shared_ptr<const mesh::Resource>> Resources(const std::string& yaml) {
  mesh::ParsedFile parsed = mesh::ParseConfigFile("mesh.yaml", yaml);
  EXPECT_THAT(parsed.diagnostics, IsEmpty());
  std::vector<std::shared_ptr<const mesh::Resource>> out;
  for (mesh::Resource& r : parsed.resources) {
    out.push_back(std::make_shared<const mesh::Resource>(std::move(r)));
  }
  return out;
}

constexpr char kService[] = R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews}
spec:
  hosts: [reviews.default.svc.cluster.local]
  ports: [{number: 9080, name: grpc, protocol: GRPC}]
  resolution: STATIC
  workloadSelector: {labels: {app: reviews}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-1}
spec: {address: 10.0.0.1, labels: {app: reviews}}
)";

// A push after a VirtualService change reuses the services of the previous
// context (ServiceEntries and WorkloadEntries did not change) and still sees
// the new rule.
TEST(PushContextTest, ServicesCarryOverWhenNoServiceChanged) {
  auto first = PushContext::Build(Resources(kService), 1);
  auto second = PushContext::Build(
      Resources(std::string(kService) +
                "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\n"
                "metadata: {name: reviews}\nspec:\n  hosts: [reviews.default.svc.cluster.local]\n"
                "  http:\n  - route:\n    - destination: {host: "
                "reviews.default.svc.cluster.local}\n"),
      2, {}, first.get());
  EXPECT_EQ(&second->services(), &first->services());  // shared, not rebuilt
  ASSERT_NE(second->FindService("reviews.default.svc.cluster.local"), nullptr);
  EXPECT_EQ(second->all_endpoints().size(), 1u);
  EXPECT_NE(second->VirtualServiceFor(Proxy{}, "reviews.default.svc.cluster.local"), nullptr);
  EXPECT_EQ(first->VirtualServiceFor(Proxy{}, "reviews.default.svc.cluster.local"), nullptr);
  // Without a previous context, the services are built anew.
  auto third = PushContext::Build(Resources(kService), 3);
  EXPECT_NE(&third->services(), &first->services());
}

}  // namespace
}  // namespace keel::pilot
