#include "services/pilot/generators/rbac_v1alpha1.h"

#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/extensions/filters/http/rbac/v3/rbac.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/pilot/generators/generators.h"
#include "services/pilot/generators/table.h"
#include "services/pilot/testing/push_context.h"

namespace keel::pilot {
namespace {

using ::testing::HasSubstr;
using testing::BookinfoContextWith;
using testing::Get;

std::string Rbac(const std::string& kind, const std::string& name, const std::string& spec) {
  return "---\napiVersion: rbac.istio.io/v1alpha1\nkind: " + kind + "\nmetadata: {name: " + name +
         ", namespace: default}\nspec:\n" + spec;
}

// Istio 1.4's bookinfo sample: ratings may be read (GET) by reviews.
const std::string kRatingsViewer =
    Rbac("ServiceRole", "ratings-viewer",
         "  rules:\n  - services: [ratings.default.svc.cluster.local]\n    methods: [GET]\n") +
    Rbac("ServiceRoleBinding", "bind-ratings",
         "  subjects:\n  - user: cluster.local/ns/default/sa/bookinfo-reviews\n"
         "  roleRef: {kind: ServiceRole, name: ratings-viewer}\n");

// The RBAC filters of ratings-v1's inbound listener, as JSON.
std::vector<envoy::extensions::filters::http::rbac::v3::RBAC> RatingsFilters(
    const std::string& yaml) {
  auto listener = Get<envoy::config::listener::v3::Listener>(
      *GenerateType(kListenerType, *BookinfoContextWith(yaml), Proxy{}),
      "grpc/server?xds.resource.listening_address=10.0.1.1:9080");
  envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager manager;
  EXPECT_TRUE(listener.filter_chains(0).filters(0).typed_config().UnpackTo(&manager));
  std::vector<envoy::extensions::filters::http::rbac::v3::RBAC> out;
  for (const auto& filter : manager.http_filters()) {
    envoy::extensions::filters::http::rbac::v3::RBAC rbac;
    if (filter.typed_config().UnpackTo(&rbac)) out.push_back(rbac);
  }
  return out;
}

std::string Json(const google::protobuf::Message& message) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json);
  return json;
}

TEST(LegacyRbacTest, RolesApplyOnlyWhereTheClusterRbacConfigEnforces) {
  EXPECT_TRUE(RatingsFilters(kRatingsViewer).empty());  // no ClusterRbacConfig: not enforced
  const std::string on = Rbac("ClusterRbacConfig", "default", "  mode: ON\n");
  auto filters = RatingsFilters(on + kRatingsViewer);
  ASSERT_EQ(filters.size(), 1u);
  EXPECT_EQ(filters[0].rules().action(), envoy::config::rbac::v3::RBAC::ALLOW);
  const auto& policies = filters[0].rules().policies();
  ASSERT_EQ(policies.count("rbac.istio.io[default/bind-ratings/rule-0]"), 1u);
  const std::string json = Json(policies.at("rbac.istio.io[default/bind-ratings/rule-0]"));
  EXPECT_THAT(json, HasSubstr("spiffe://cluster.local/ns/default/sa/bookinfo-reviews"));
  EXPECT_THAT(json, HasSubstr(":method"));
  EXPECT_THAT(json, HasSubstr("GET"));
  // Outside the inclusion: not enforced; inside the exclusion: not enforced.
  EXPECT_TRUE(RatingsFilters(Rbac("ClusterRbacConfig", "default",
                                  "  mode: ON_WITH_INCLUSION\n  inclusion: {namespaces: [shop]}\n") +
                             kRatingsViewer)
                  .empty());
  EXPECT_TRUE(RatingsFilters(Rbac("ClusterRbacConfig", "default",
                                  "  mode: ON_WITH_EXCLUSION\n  exclusion: {services: "
                                  "[ratings.default.svc.cluster.local]}\n") +
                             kRatingsViewer)
                  .empty());
  // Enforced with no binding: everything is denied (an ALLOW with no policy).
  auto deny_all = RatingsFilters(on);
  ASSERT_EQ(deny_all.size(), 1u);
  EXPECT_TRUE(deny_all[0].rules().policies().empty());
}

TEST(LegacyRbacTest, WhatGrpcCannotCheckGrantsNothing) {
  const std::string on = Rbac("ClusterRbacConfig", "default", "  mode: ON\n");
  // JWT groups, a constraint on another workload's labels, a Mixer-only property.
  auto filters = RatingsFilters(
      on +
      Rbac("ServiceRole", "grpc",
           "  rules:\n  - services: [\"*\"]\n    methods: [keel.testing.Echo/Admin]\n"
           "  - services: [\"*\"]\n    methods: [\"*\"]\n"
           "    constraints: [{key: \"destination.labels[version]\", values: [v2]}]\n"
           "  - services: [\"*\"]\n    methods: [\"*\"]\n"
           "    constraints: [{key: destination.port, values: [\"9080\"]}]\n") +
      Rbac("ServiceRoleBinding", "admins",
           "  subjects:\n  - names: [cluster.local/ns/default/sa/admin]\n  - groups: [admins]\n"
           "  roleRef: {kind: ServiceRole, name: grpc}\n"));
  ASSERT_EQ(filters.size(), 1u);
  const auto& policies = filters[0].rules().policies();
  ASSERT_EQ(policies.size(), 1u);  // only the gRPC method rule survives
  const std::string json = Json(policies.begin()->second);
  EXPECT_THAT(json, HasSubstr("/keel.testing.Echo/Admin"));
  EXPECT_THAT(json, HasSubstr("spiffe://cluster.local/ns/default/sa/admin"));
  EXPECT_THAT(json, ::testing::Not(HasSubstr("admins")));  // the group subject grants nothing
}

}  // namespace
}  // namespace keel::pilot
