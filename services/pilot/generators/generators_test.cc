// Generated xDS for Istio's bookinfo routing samples, checked for meaning
// and against golden files (update them with KEEL_UPDATE_GOLDEN=<dir>).
#include "services/pilot/generators/generators.h"

#include <cstdlib>
#include <fstream>

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "libs/mesh/testing/shared_testdata.h"

namespace keel::pilot {
namespace {

using ::testing::HasSubstr;

std::shared_ptr<const PushContext> Context(const std::vector<std::string>& shared_files) {
  std::vector<std::shared_ptr<const mesh::Resource>> resources;
  auto load = [&](const std::string& path) {
    mesh::ParsedFile parsed = mesh::ParseConfigFile(path, mesh::testing::ReadFile(path));
    EXPECT_TRUE(parsed.diagnostics.empty()) << path;
    for (mesh::Resource& r : parsed.resources)
      resources.push_back(std::make_shared<mesh::Resource>(std::move(r)));
  };
  load(std::string(std::getenv("TEST_SRCDIR")) +
       "/keel/services/pilot/testdata/bookinfo-services.yaml");
  for (const std::string& file : shared_files) {
    load(mesh::testing::IstioTestdataDir() + "/bookinfo-networking/" + file);
  }
  return PushContext::Build(resources, 1);
}

template <typename Message>
Message Get(const xds::TypeResources& type, const std::string& name) {
  Message message;
  auto it = type.resources.find(name);
  EXPECT_NE(it, type.resources.end()) << name;
  if (it != type.resources.end()) EXPECT_TRUE(it->second->body.UnpackTo(&message));
  return message;
}

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
  auto context = Context({"destination-rule-all.yaml", "virtual-service-reviews-80-20.yaml"});
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
  auto context = Context({"destination-rule-all.yaml", "virtual-service-reviews-jason-v2-v3.yaml"});
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
  auto context = Context({"destination-rule-all.yaml", "virtual-service-ratings-test-abort.yaml"});
  auto routes = Get<envoy::config::route::v3::RouteConfiguration>(
      *GenerateRoutes(*context), "ratings.default.svc.cluster.local:9080");
  const auto& faulted = routes.virtual_hosts(0).routes(0);
  EXPECT_EQ(faulted.typed_per_filter_config().count("envoy.filters.http.fault"), 1u);
  ExpectGolden(routes, "ratings-test-abort.rds.json");
  auto listeners = GenerateListeners(*context);
  auto listener = Get<envoy::config::listener::v3::Listener>(
      *listeners, "ratings.default.svc.cluster.local:9080");
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(listener, &json).ok());
  // The fault filter comes before the router, which is last.
  EXPECT_LT(json.find("envoy.filters.http.fault"), json.find("envoy.filters.http.router"));
}

TEST(GeneratorsTest, ClustersAndEndpointsPerSubsetWithLocalities) {
  auto context = Context({"destination-rule-all.yaml", "virtual-service-reviews-80-20.yaml"});
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
  auto a =
      GenerateRoutes(*Context({"destination-rule-all.yaml", "virtual-service-reviews-80-20.yaml"}));
  auto b =
      GenerateRoutes(*Context({"destination-rule-all.yaml", "virtual-service-reviews-80-20.yaml"}));
  auto c =
      GenerateRoutes(*Context({"destination-rule-all.yaml", "virtual-service-reviews-90-10.yaml"}));
  EXPECT_EQ(a->version, b->version);
  EXPECT_NE(a->version, c->version);
  EXPECT_EQ(a->resources.at("ratings.default.svc.cluster.local:9080")->version,
            c->resources.at("ratings.default.svc.cluster.local:9080")->version);
}

}  // namespace
}  // namespace keel::pilot
