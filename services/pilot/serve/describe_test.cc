// keelctl describe's answers for the bookinfo samples, against golden files
// (update them with KEEL_UPDATE_GOLDEN=<dir>; keelctl's tests render the
// same files as text).
#include "services/pilot/serve/describe.h"

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/mesh/testing/shared_testdata.h"
#include "services/pilot/testing/push_context.h"

namespace keel::pilot {
namespace {

using ::testing::HasSubstr;
using testing::BookinfoContext;
using testing::BookinfoContextWith;

void ExpectGolden(const std::string& json, const std::string& golden) {
  if (const char* update = std::getenv("KEEL_UPDATE_GOLDEN"); update != nullptr) {
    std::ofstream(std::string(update) + "/" + golden) << json << "\n";
    return;
  }
  const std::string expected = mesh::testing::ReadFile(
      std::string(std::getenv("TEST_SRCDIR")) + "/keel/services/pilot/testdata/golden/" + golden);
  EXPECT_EQ(json + "\n", expected) << "describe's answer differs from " << golden;
}

TEST(DescribeTest, ReviewsRoutesJasonToV2AndTheRestToV3) {
  auto context = BookinfoContext({"virtual-service-reviews-jason-v2-v3.yaml",
                                  "destination-rule-all.yaml"});
  absl::StatusOr<std::string> json = DescribeServiceJson(
      *context, "reviews", "default",
      {{.proxy = "productpage~10.0.2.1~productpage-v1.default", .namespace_name = "default",
        .status = "SYNCED"}});
  ASSERT_TRUE(json.ok()) << json.status();
  ExpectGolden(*json, "describe-reviews-jason-v2-v3.json");
}

TEST(DescribeTest, RatingsAbortsEveryRequestOfJason) {
  auto context = BookinfoContext({"virtual-service-ratings-test-abort.yaml",
                                  "destination-rule-all-mtls.yaml"});
  absl::StatusOr<std::string> json = DescribeServiceJson(
      *context, "ratings.default.svc.cluster.local", "default",
      {{.proxy = "reviews~10.0.0.2~reviews-v2.default", .namespace_name = "default",
        .status = "NACKED", .nack = "RDS: route weights do not add up"}});
  ASSERT_TRUE(json.ok()) << json.status();
  ExpectGolden(*json, "describe-ratings-test-abort.json");
}

// Which VirtualService applies depends on the proxy's namespace; the others
// are listed with the reason they do not apply.
TEST(DescribeTest, ShadowedVirtualServicesSayWhy) {
  auto context = BookinfoContextWith(R"(apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http: [{route: [{destination: {host: reviews, subset: v1}}]}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: private-reviews, namespace: shop}
spec:
  hosts: [reviews.default.svc.cluster.local]
  exportTo: ["."]
  http: [{route: [{destination: {host: reviews.default.svc.cluster.local, subset: v9}}]}]
)");
  absl::StatusOr<std::string> from_default =
      DescribeServiceJson(*context, "reviews", "default", {});
  ASSERT_TRUE(from_default.ok());
  EXPECT_THAT(*from_default, HasSubstr("\"virtualService\":\"default/reviews\""));
  EXPECT_THAT(*from_default,
              HasSubstr("{\"name\":\"shop/private-reviews\",\"reason\":\"not exported to namespace "
                        "\\\"default\\\" (exportTo: [.])\"}"));
  absl::StatusOr<std::string> from_shop =
      DescribeServiceJson(*context, "reviews.default.svc.cluster.local", "shop", {});
  ASSERT_TRUE(from_shop.ok());
  EXPECT_THAT(*from_shop, HasSubstr("\"virtualService\":\"shop/private-reviews\""));
  EXPECT_THAT(*from_shop, HasSubstr("\"name\":\"default/reviews\",\"reason\":\"shop/private-reviews "
                                    "claims the host first"));
  // Its subset v9 exists nowhere: describe says what that means.
  EXPECT_THAT(*from_shop, HasSubstr("\"problem\":\"subset \\\"v9\\\" is not defined by "
                                    "any DestinationRule: requests fail\""));
}

TEST(DescribeTest, AnUnknownHostNamesTheClosest) {
  auto context = BookinfoContext({});
  absl::StatusOr<std::string> json = DescribeServiceJson(*context, "reveiws", "default", {});
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(json.status().message(), HasSubstr("no service \"reveiws\""));
  EXPECT_THAT(json.status().message(), HasSubstr("closest: reviews.default.svc.cluster.local"));
}

TEST(DescribeTest, AWorkloadItsServicesAndPolicies) {
  auto context = BookinfoContextWith(R"(apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: strict, namespace: default}
spec: {selector: {matchLabels: {app: reviews}}, mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata: {name: reviews-viewer, namespace: default}
spec:
  selector: {matchLabels: {app: reviews}}
  action: ALLOW
  rules: [{from: [{source: {principals: ["cluster.local/ns/default/sa/productpage"]}}]}]
)");
  absl::StatusOr<std::string> json = DescribeWorkloadJson(*context, "default/reviews-v2");
  ASSERT_TRUE(json.ok()) << json.status();
  ExpectGolden(*json, "describe-workload-reviews-v2.json");
  absl::StatusOr<std::string> missing = DescribeWorkloadJson(*context, "default/reviews-v7");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("closest: default/reviews-v"));
}

}  // namespace
}  // namespace keel::pilot
