// Generated xDS for Istio's bookinfo routing samples, checked for meaning
// and against golden files (update them with KEEL_UPDATE_GOLDEN=<dir>).
#include "services/pilot/generators/generators.h"
#include "services/pilot/generators/table.h"

#include <cstdlib>
#include <fstream>
#include <functional>

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/http/fault/v3/fault.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "libs/mesh/testing/shared_testdata.h"
#include "services/pilot/testing/push_context.h"

namespace keel::pilot {
namespace {

using ::testing::HasSubstr;

using testing::BookinfoContext;
using testing::BookinfoContextWith;
using testing::Get;

void ExpectGolden(const google::protobuf::Message& message, const std::string& golden) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(message, &json, options).ok());
  if (const char* update = std::getenv("KEEL_UPDATE_GOLDEN"); update != nullptr) {
    std::ofstream(std::string(update) + "/" + golden) << json;
    return;
  }
  const std::string expected = mesh::testing::ReadFile(
      std::string(std::getenv("TEST_SRCDIR")) + "/keel/services/pilot/testdata/golden/" + golden);
  EXPECT_EQ(json, expected) << "generated xDS differs from " << golden;
}

constexpr char kReviews[] = "reviews.default.svc.cluster.local:9080";

TEST(GeneratorsTest, Reviews8020SplitsByWeight) {
  auto context =
      BookinfoContext({"destination-rule-all.yaml", "virtual-service-reviews-80-20.yaml"});
  auto routes =
      Get<envoy::config::route::v3::RouteConfiguration>(*GenerateRoutes(*context), kReviews);
  ASSERT_EQ(routes.virtual_hosts_size(), 1);
  EXPECT_THAT(routes.virtual_hosts(0).domains(), ::testing::Contains(kReviews));
  const auto& weighted = routes.virtual_hosts(0).routes(0).route().weighted_clusters();
  ASSERT_EQ(weighted.clusters_size(), 2);
  EXPECT_EQ(weighted.clusters(0).name(), "outbound|9080|v1|reviews.default.svc.cluster.local");
  EXPECT_EQ(weighted.clusters(0).weight().value(), 80u);
  EXPECT_EQ(weighted.clusters(1).name(), "outbound|9080|v2|reviews.default.svc.cluster.local");
  EXPECT_EQ(weighted.clusters(1).weight().value(), 20u);
  ExpectGolden(routes, "reviews-80-20.rds.json");
}

TEST(GeneratorsTest, JasonHeaderMatchRoutesToV2FirstMatchWins) {
  auto context =
      BookinfoContext({"destination-rule-all.yaml", "virtual-service-reviews-jason-v2-v3.yaml"});
  auto routes =
      Get<envoy::config::route::v3::RouteConfiguration>(*GenerateRoutes(*context), kReviews);
  const auto& first = routes.virtual_hosts(0).routes(0);
  ASSERT_EQ(first.match().headers_size(), 1);
  EXPECT_EQ(first.match().headers(0).name(), "end-user");
  EXPECT_EQ(first.match().headers(0).exact_match(), "jason");
  EXPECT_EQ(first.route().cluster(), "outbound|9080|v2|reviews.default.svc.cluster.local");
  EXPECT_EQ(routes.virtual_hosts(0).routes(1).route().cluster(),
            "outbound|9080|v3|reviews.default.svc.cluster.local");
  ExpectGolden(routes, "reviews-jason-v2-v3.rds.json");
}

TEST(GeneratorsTest, RatingsFaultsBecomePerRouteFaultConfig) {
  auto context =
      BookinfoContext({"destination-rule-all.yaml", "virtual-service-ratings-test-abort.yaml"});
  auto routes = Get<envoy::config::route::v3::RouteConfiguration>(
      *GenerateRoutes(*context), "ratings.default.svc.cluster.local:9080");
  const auto& faulted = routes.virtual_hosts(0).routes(0);
  EXPECT_EQ(faulted.typed_per_filter_config().count("envoy.filters.http.fault"), 1u);
  ExpectGolden(routes, "ratings-test-abort.rds.json");
  auto listeners = GenerateType(kListenerType, *context);
  auto listener = Get<envoy::config::listener::v3::Listener>(
      *listeners, "ratings.default.svc.cluster.local:9080");
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(listener, &json).ok());
  // The fault filter comes before the router, which is last.
  EXPECT_LT(json.find("envoy.filters.http.fault"), json.find("envoy.filters.http.router"));
}

TEST(GeneratorsTest, ClustersAndEndpointsPerSubsetWithLocalities) {
  auto context =
      BookinfoContext({"destination-rule-all.yaml", "virtual-service-reviews-80-20.yaml"});
  auto clusters = GenerateClusters(*context);
  for (const char* subset : {"", "v1", "v2", "v3"}) {
    auto cluster = Get<envoy::config::cluster::v3::Cluster>(
        *clusters, ClusterName(9080, subset, "reviews.default.svc.cluster.local"));
    EXPECT_EQ(cluster.type(), envoy::config::cluster::v3::Cluster::EDS);
    EXPECT_EQ(cluster.eds_cluster_config().service_name(), cluster.name());
  }
  auto endpoints = GenerateEndpoints(*context);
  auto all = Get<envoy::config::endpoint::v3::ClusterLoadAssignment>(
      *endpoints, ClusterName(9080, "", "reviews.default.svc.cluster.local"));
  ASSERT_EQ(all.endpoints_size(), 2);  // us-east/zone-a and us-east/zone-b
  for (const auto& locality : all.endpoints()) {
    EXPECT_TRUE(locality.has_locality());
    EXPECT_GT(locality.load_balancing_weight().value(), 0u);  // clients drop a locality without one
  }
  EXPECT_EQ(all.endpoints(1).locality().zone(), "zone-b");
  EXPECT_EQ(all.endpoints(1).load_balancing_weight().value(), 4u);  // v2 weight 3 + v3 weight 1
  auto v2 = Get<envoy::config::endpoint::v3::ClusterLoadAssignment>(
      *endpoints, ClusterName(9080, "v2", "reviews.default.svc.cluster.local"));
  ASSERT_EQ(v2.endpoints_size(), 1);
  EXPECT_EQ(v2.endpoints(0).lb_endpoints(0).endpoint().address().socket_address().address(),
            "10.0.0.2");
  EXPECT_EQ(v2.endpoints(0).lb_endpoints(0).endpoint().address().socket_address().port_value(),
            9080u);
  ExpectGolden(all, "reviews.eds.json");
}

TEST(GeneratorsTest, VersionsAreStableAcrossBuilds) {
  auto a = GenerateRoutes(
      *BookinfoContext({"destination-rule-all.yaml", "virtual-service-reviews-80-20.yaml"}));
  auto b = GenerateRoutes(
      *BookinfoContext({"destination-rule-all.yaml", "virtual-service-reviews-80-20.yaml"}));
  auto c = GenerateRoutes(
      *BookinfoContext({"destination-rule-all.yaml", "virtual-service-reviews-90-10.yaml"}));
  EXPECT_EQ(a->version, b->version);
  EXPECT_NE(a->version, c->version);
  EXPECT_EQ(a->resources.at("ratings.default.svc.cluster.local:9080")->version,
            c->resources.at("ratings.default.svc.cluster.local:9080")->version);
}

constexpr char kReviewsHost[] = "reviews.default.svc.cluster.local";

envoy::config::cluster::v3::Cluster ReviewsCluster(const std::string& dr_yaml,
                                                   const std::string& subset = "") {
  auto context = BookinfoContextWith(dr_yaml);
  return Get<envoy::config::cluster::v3::Cluster>(*GenerateClusters(*context),
                                                  ClusterName(9080, subset, kReviewsHost));
}

constexpr char kDrHeader[] =
    "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: "
    "reviews}\nspec:\n  host: reviews\n";

TEST(GeneratorsTest, WeightedClustersAlwaysCarryTheirTotal) {
  auto context =
      BookinfoContextWith(std::string(kDrHeader) +
                          "  subsets:\n  - {name: v1, labels: {version: v1}}\n"
                          "  - {name: v2, labels: {version: v2}}\n  - {name: v3, labels: "
                          "{version: v3}}\n---\napiVersion: networking.istio.io/v1alpha3\n"
                          "kind: VirtualService\nmetadata: {name: reviews}\nspec:\n"
                          "  hosts: [reviews]\n  http:\n  - route:\n"
                          "    - {destination: {host: reviews, subset: v1}, weight: 50}\n"
                          "    - {destination: {host: reviews, subset: v2}, weight: 0}\n"
                          "    - {destination: {host: reviews, subset: v3}, weight: 50}\n");
  auto routes =
      Get<envoy::config::route::v3::RouteConfiguration>(*GenerateRoutes(*context), kReviews);
  const auto& weighted = routes.virtual_hosts(0).routes(0).route().weighted_clusters();
  ASSERT_EQ(weighted.clusters_size(), 2);  // the weight-0 destination takes nothing
  uint32_t sum = 0;
  for (const auto& cluster : weighted.clusters()) sum += cluster.weight().value();
  EXPECT_EQ(weighted.total_weight().value(), sum);
}

TEST(GeneratorsTest, OutlierDetectionConsecutiveErrorsAsIstio14) {
  auto cluster = ReviewsCluster(std::string(kDrHeader) +
                                "  trafficPolicy:\n    outlierDetection: {consecutiveErrors: 7, "
                                "interval: 5s, baseEjectionTime: 30s, maxEjectionPercent: 50}\n");
  const auto& outlier = cluster.outlier_detection();
  EXPECT_EQ(outlier.consecutive_gateway_failure().value(), 7u);
  EXPECT_EQ(outlier.enforcing_consecutive_gateway_failure().value(), 100u);
  ASSERT_TRUE(outlier.has_enforcing_consecutive_5xx());
  EXPECT_EQ(outlier.enforcing_consecutive_5xx().value(), 0u);
  ASSERT_TRUE(outlier.has_enforcing_success_rate());
  EXPECT_EQ(outlier.enforcing_success_rate().value(), 0u);
  EXPECT_EQ(outlier.interval().seconds(), 5);
  EXPECT_EQ(outlier.base_ejection_time().seconds(), 30);
  EXPECT_EQ(outlier.max_ejection_percent().value(), 50u);
  // minHealthPercent (0 here) is the panic threshold, as 1.4 sets it.
  ASSERT_TRUE(cluster.common_lb_config().has_healthy_panic_threshold());
  EXPECT_EQ(cluster.common_lb_config().healthy_panic_threshold().value(), 0.0);
}

TEST(GeneratorsTest, OutlierDetectionLaterIstioFieldsAndNoSuccessRate) {
  auto cluster = ReviewsCluster(std::string(kDrHeader) +
                                "  trafficPolicy:\n    outlierDetection: {consecutive5xxErrors: "
                                "3, consecutiveGatewayErrors: 0}\n");
  const auto& outlier = cluster.outlier_detection();
  EXPECT_EQ(outlier.consecutive_5xx().value(), 3u);
  EXPECT_EQ(outlier.enforcing_consecutive_5xx().value(), 100u);
  ASSERT_TRUE(outlier.has_enforcing_consecutive_gateway_failure());
  EXPECT_EQ(outlier.enforcing_consecutive_gateway_failure().value(), 0u);
  ASSERT_TRUE(outlier.has_enforcing_success_rate());
  EXPECT_EQ(outlier.enforcing_success_rate().value(), 0u);
}

TEST(GeneratorsTest, ConsistentHashWithoutVirtualServiceHashesTheDefaultRoute) {
  for (const auto& [lb, check] : std::vector<std::pair<
           std::string,
           std::function<void(const envoy::config::route::v3::
                                  RouteAction&)>>>{{"{httpHeaderName: x-user}",
                                                    [](const auto& action) {
                                                      EXPECT_EQ(action.hash_policy(0)
                                                                    .header()
                                                                    .header_name(),
                                                                "x-user");
                                                    }},
                                                   {"{httpCookie: {name: session, ttl: 10s}}",
                                                    [](const auto& action) {
                                                      EXPECT_EQ(
                                                          action.hash_policy(0).cookie().name(),
                                                          "session");
                                                      EXPECT_EQ(action.hash_policy(0)
                                                                    .cookie()
                                                                    .ttl()
                                                                    .seconds(),
                                                                10);
                                                    }},
                                                   {"{useSourceIp: true}", [](const auto& action) {
                                                      EXPECT_TRUE(action.hash_policy(0)
                                                                      .connection_properties()
                                                                      .source_ip());
                                                    }}}) {
    SCOPED_TRACE(lb);
    auto context = BookinfoContextWith(
        std::string(kDrHeader) +
        "  trafficPolicy:\n    loadBalancer:\n      consistentHash: " + lb + "\n");
    auto routes =
        Get<envoy::config::route::v3::RouteConfiguration>(*GenerateRoutes(*context), kReviews);
    ASSERT_EQ(routes.virtual_hosts(0).routes_size(), 1);
    const auto& action = routes.virtual_hosts(0).routes(0).route();
    EXPECT_EQ(action.cluster(), ClusterName(9080, "", kReviewsHost));
    ASSERT_EQ(action.hash_policy_size(), 1);
    check(action);
    auto cluster = Get<envoy::config::cluster::v3::Cluster>(*GenerateClusters(*context),
                                                            ClusterName(9080, "", kReviewsHost));
    EXPECT_EQ(cluster.lb_policy(), envoy::config::cluster::v3::Cluster::RING_HASH);
  }
}

TEST(GeneratorsTest, DeprecatedIntegerFaultPercentsAreHonoured) {
  auto context = BookinfoContextWith(
      "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {name: "
      "reviews}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: "
      "reviews}\n    fault:\n      delay: {percent: 25, fixedDelay: 2s}\n      abort: {percent: "
      "10, httpStatus: 503}\n");
  auto routes =
      Get<envoy::config::route::v3::RouteConfiguration>(*GenerateRoutes(*context), kReviews);
  envoy::extensions::filters::http::fault::v3::HTTPFault fault;
  ASSERT_TRUE(routes.virtual_hosts(0)
                  .routes(0)
                  .typed_per_filter_config()
                  .at("envoy.filters.http.fault")
                  .UnpackTo(&fault));
  EXPECT_EQ(fault.delay().percentage().numerator(), 250000u);  // 25% of a million
  EXPECT_EQ(fault.delay().percentage().denominator(), envoy::type::v3::FractionalPercent::MILLION);
  EXPECT_EQ(fault.abort().percentage().numerator(), 100000u);
  EXPECT_EQ(fault.abort().http_status(), 503u);
}

// Subset settings override host settings field group by field group; port
// settings override the level they sit in.
TEST(GeneratorsTest, SubsetAndPortSettingsOverrideByFieldGroup) {
  const std::string dr =
      std::string(kDrHeader) +
      "  trafficPolicy:\n"
      "    loadBalancer: {simple: LEAST_CONN}\n"
      "    connectionPool: {http: {http2MaxRequests: 10}}\n"
      "    outlierDetection: {consecutive5xxErrors: 5}\n"
      "  subsets:\n"
      "  - name: v1\n    labels: {version: v1}\n"
      "    trafficPolicy:\n      loadBalancer: {simple: ROUND_ROBIN}\n"
      "  - name: v2\n    labels: {version: v2}\n"
      "    trafficPolicy:\n      connectionPool: {http: {http2MaxRequests: 99}}\n"
      "      portLevelSettings:\n      - port: {number: 9080}\n"
      "        outlierDetection: {consecutive5xxErrors: 9}\n";
  auto host = ReviewsCluster(dr);
  EXPECT_EQ(host.lb_policy(), envoy::config::cluster::v3::Cluster::LEAST_REQUEST);
  EXPECT_EQ(host.circuit_breakers().thresholds(0).max_requests().value(), 10u);
  auto v1 = ReviewsCluster(dr, "v1");
  EXPECT_EQ(v1.lb_policy(), envoy::config::cluster::v3::Cluster::ROUND_ROBIN);  // overridden
  EXPECT_EQ(v1.circuit_breakers().thresholds(0).max_requests().value(), 10u);   // inherited
  EXPECT_EQ(v1.outlier_detection().consecutive_5xx().value(), 5u);              // inherited
  auto v2 = ReviewsCluster(dr, "v2");
  EXPECT_EQ(v2.lb_policy(), envoy::config::cluster::v3::Cluster::LEAST_REQUEST);  // inherited
  EXPECT_EQ(v2.circuit_breakers().thresholds(0).max_requests().value(), 99u);     // overridden
  EXPECT_EQ(v2.outlier_detection().consecutive_5xx().value(), 9u);  // subset port level
}

// Generators take the proxy they generate for: a Sidecar narrows what a
// proxy of its namespace gets; the unscoped view (and other namespaces)
// keep everything; a workload's own inbound listener is always there.
TEST(GeneratorsTest, SidecarScopesWhatAProxyIsGenerated) {
  auto context = BookinfoContextWith(
      "apiVersion: networking.istio.io/v1alpha3\nkind: Sidecar\nmetadata: {name: default, "
      "namespace: default}\nspec:\n  egress:\n  - hosts: [\"istio-system/*\"]\n");
  const Proxy scoped{.id = "client~10.9.9.9~c.default~x", .namespace_name = "default"};
  const Proxy other{.id = "client~10.9.9.9~c.shop~x", .namespace_name = "shop"};
  for (const std::string& type_url : GeneratedTypes()) {
    SCOPED_TRACE(type_url);
    auto all = GenerateType(type_url, *context, Proxy{});
    auto narrowed = GenerateType(type_url, *context, scoped);
    auto elsewhere = GenerateType(type_url, *context, other);
    EXPECT_EQ(elsewhere->resources.size(), all->resources.size());
    for (const auto& [name, resource] : narrowed->resources) {
      EXPECT_NE(name.find("grpc/server?"), std::string::npos) << "only inbound listeners: " << name;
    }
  }
  EXPECT_GT(GenerateType(kListenerType, *context, scoped)->resources.size(), 0u);  // inbound ones
  EXPECT_EQ(GenerateType(kListenerType, *context, scoped)->resources.count(kReviews), 0u);
  EXPECT_EQ(GenerateType(kListenerType, *context, Proxy{})->resources.count(kReviews), 1u);
}

}  // namespace
}  // namespace keel::pilot
