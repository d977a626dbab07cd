// Locality load balancing on generated endpoints, as Istio 1.4 applies it.
#include "services/pilot/generators/locality.h"

#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/pilot/generators/generators.h"
#include "services/pilot/testing/push_context.h"

namespace keel::pilot {
namespace {

using envoy::config::endpoint::v3::ClusterLoadAssignment;
using testing::BookinfoContextWith;
using testing::Get;

constexpr char kReviewsHost[] = "reviews.default.svc.cluster.local";

// zone -> priority (or weight) of the reviews endpoints as `proxy` gets them.
std::map<std::string, uint32_t> ByZone(const std::string& yaml, const Proxy& proxy,
                                       bool weights = false, const PushOptions& options = {}) {
  auto context = BookinfoContextWith(yaml, options);
  auto assignment = Get<ClusterLoadAssignment>(*GenerateEndpoints(*context, proxy),
                                               ClusterName(9080, "", kReviewsHost));
  std::map<std::string, uint32_t> out;
  for (const auto& group : assignment.endpoints()) {
    out[group.locality().zone()] =
        weights ? group.load_balancing_weight().value() : group.priority();
  }
  return out;
}

std::string Rule(const std::string& policy) {
  return "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: "
         "reviews}\nspec:\n  host: reviews\n  trafficPolicy:\n" +
         policy;
}

const Proxy kInZoneA{.id = "p", .namespace_name = "default", .locality = "us-east/zone-a/"};

TEST(LocalityTest, FailoverPrioritiesFollowCloseness) {
  const std::string outlier = Rule("    outlierDetection: {consecutive5xxErrors: 5}\n");
  EXPECT_THAT(ByZone(outlier, kInZoneA),
              ::testing::ElementsAre(::testing::Pair("zone-a", 0u), ::testing::Pair("zone-b", 1u)));
  // Without outlier detection 1.4 leaves priorities alone.
  EXPECT_THAT(ByZone(Rule("    loadBalancer: {simple: ROUND_ROBIN}\n"), kInZoneA),
              ::testing::ElementsAre(::testing::Pair("zone-a", 0u), ::testing::Pair("zone-b", 0u)));
  // A proxy with no locality: no locality load balancing.
  EXPECT_THAT(ByZone(outlier, Proxy{.namespace_name = "default"}),
              ::testing::ElementsAre(::testing::Pair("zone-a", 0u), ::testing::Pair("zone-b", 0u)));
  // Turned off in the mesh config.
  PushOptions off;
  off.mesh.mutable_locality_lb_setting()->mutable_enabled()->set_value(false);
  EXPECT_THAT(ByZone(outlier, kInZoneA, false, off),
              ::testing::ElementsAre(::testing::Pair("zone-a", 0u), ::testing::Pair("zone-b", 0u)));
}

TEST(LocalityTest, DistributeSetsLocalityWeights) {
  const std::string distribute = Rule(
      "    loadBalancer:\n      localityLbSetting:\n        distribute:\n"
      "        - from: us-east/zone-a/*\n          to: {\"us-east/zone-a/*\": 80, "
      "\"us-east/zone-b/*\": 20}\n");
  EXPECT_THAT(
      ByZone(distribute, kInZoneA, /*weights=*/true),
      ::testing::ElementsAre(::testing::Pair("zone-a", 80u), ::testing::Pair("zone-b", 20u)));
}

TEST(LocalityTest, FailoverRegionsAndConsecutivePriorities) {
  ClusterLoadAssignment assignment;
  for (const char* region : {"us-east", "eu-west", "ap-south"}) {
    auto* group = assignment.add_endpoints();
    group->mutable_locality()->set_region(region);
  }
  istio::networking::v1alpha3::LocalityLoadBalancerSetting setting;
  auto* failover = setting.add_failover();
  failover->set_from("eu-west");
  failover->set_to("ap-south");
  ApplyLocalityLb(setting, /*failover_enabled=*/true, "eu-west/z/", assignment);
  // Own region 0; the failover region next; the rest last.
  EXPECT_EQ(assignment.endpoints(1).priority(), 0u);
  EXPECT_EQ(assignment.endpoints(2).priority(), 1u);
  EXPECT_EQ(assignment.endpoints(0).priority(), 2u);
}

}  // namespace
}  // namespace keel::pilot
