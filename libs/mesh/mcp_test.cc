#include "libs/mesh/mcp.h"

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace keel::mesh {
namespace {

TEST(McpTest, EncodeThenDecodeGivesTheResourceBack) {
  ParsedFile parsed = ParseConfigFile("vs.yaml", R"(apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: reviews
  namespace: shop
  labels: {app: reviews}
  annotations: {owner: team-a}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
)");
  ASSERT_EQ(parsed.resources.size(), 1u);
  const Resource& original = parsed.resources[0];
  google::protobuf::Any wire = EncodeMcp(original);
  absl::StatusOr<std::shared_ptr<const Resource>> decoded = DecodeMcp(*original.kind, wire);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ((*decoded)->namespace_name, "shop");
  EXPECT_EQ((*decoded)->name, "reviews");
  EXPECT_EQ((*decoded)->labels, original.labels);
  EXPECT_EQ((*decoded)->annotations, original.annotations);
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(*(*decoded)->spec, *original.spec));
  EXPECT_EQ(McpVersion(**decoded), McpVersion(original));
  EXPECT_EQ(McpName(original), "shop/reviews");
}

TEST(McpTest, TheParsersKeptSpecBytesEncodeAsAFreshSerializationWould) {
  ParsedFile parsed = ParseConfigFile("dr.yaml", R"(apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1, track: stable}}]
)");
  ASSERT_EQ(parsed.resources.size(), 1u);
  const Resource& from_parser = parsed.resources[0];
  ASSERT_FALSE(from_parser.spec_bytes.empty());
  Resource by_hand = from_parser;  // the same resource, built without the parser's bytes
  by_hand.spec_bytes.clear();
  by_hand.content_hash = 0;
  EXPECT_EQ(by_hand.SpecBytes(), from_parser.spec_bytes);
  EXPECT_EQ(by_hand.ContentHash(), from_parser.ContentHash());
  EXPECT_EQ(EncodeMcp(by_hand).SerializeAsString(), EncodeMcp(from_parser).SerializeAsString());
}

// One reading of names for Pilot and Mixer alike: a bare name is in the
// "default" namespace (Pilot's change tracking read it as "" before).
TEST(McpTest, ABareNameIsInTheDefaultNamespace) {
  EXPECT_EQ(SplitMcpName("shop/cart").namespace_name, "shop");
  EXPECT_EQ(SplitMcpName("shop/cart").name, "cart");
  EXPECT_EQ(SplitMcpName("cart").namespace_name, "default");
  EXPECT_EQ(SplitMcpName("cart").name, "cart");
}

TEST(McpTest, DecodingTheWrongKindIsAnErrorNamingBoth) {
  ParsedFile parsed = ParseConfigFile("dr.yaml", R"(apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews}
spec: {host: reviews}
)");
  ASSERT_EQ(parsed.resources.size(), 1u);
  absl::StatusOr<std::shared_ptr<const Resource>> decoded =
      DecodeMcp(*FindKindByName("VirtualService"), EncodeMcp(parsed.resources[0]));
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.status().message(),
              ::testing::HasSubstr("istio.networking.v1alpha3.DestinationRule"));
  EXPECT_THAT(decoded.status().message(),
              ::testing::HasSubstr("not istio.networking.v1alpha3.VirtualService"));
  google::protobuf::Any garbage;
  garbage.set_type_url("type.googleapis.com/google.protobuf.Empty");
  EXPECT_FALSE(DecodeMcp(*FindKindByName("VirtualService"), garbage).ok());
}

}  // namespace
}  // namespace keel::mesh
