#include "services/pilot/push/dependencies.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

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

}  // namespace
}  // namespace keel::pilot
