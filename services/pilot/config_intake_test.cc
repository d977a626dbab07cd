#include "services/pilot/config_intake.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/mesh/mcp.h"
#include "libs/mesh/resource.h"

namespace keel::pilot {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::string kVsType = "networking.istio.io/v1alpha3/VirtualService";

xds::ResourceUpdate Update(const std::string& hosts) {
  mesh::ParsedFile parsed =
      mesh::ParseConfigFile("vs.yaml",
                            "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
                            "metadata: {name: reviews, namespace: team-a}\nspec: {hosts: [" +
                                hosts + "]}\n");
  EXPECT_THAT(parsed.diagnostics, IsEmpty());
  auto resource = std::make_shared<xds::XdsResource>();
  resource->name = mesh::McpName(parsed.resources.at(0));
  resource->version = mesh::McpVersion(parsed.resources.at(0));
  resource->body = mesh::EncodeMcp(parsed.resources.at(0));
  xds::ResourceUpdate update{.type_url = kVsType, .version = "1"};
  update.updated[resource->name] = resource;
  return update;
}

bool operator==(const ConfigKey& a, const ConfigKey& b) { return !(a < b) && !(b < a); }

// What the next push regenerates for: each change once, a resource resent
// unchanged (after a reconnect to Galley) not at all.
TEST(ConfigIntakeTest, ChangesAreTakenOnceAndResentResourcesAreNoChange) {
  ConfigIntake intake;
  ASSERT_TRUE(intake.Apply(Update("reviews")).ok());
  const ConfigKey reviews{.kind = "VirtualService", .namespace_name = "team-a", .name = "reviews"};
  EXPECT_THAT(intake.TakeChanges(), ElementsAre(reviews));
  EXPECT_THAT(intake.TakeChanges(), IsEmpty());
  ASSERT_TRUE(intake.Apply(Update("reviews")).ok());  // resent as it was
  EXPECT_THAT(intake.TakeChanges(), IsEmpty());
  ASSERT_TRUE(intake.Apply(Update("reviews, ratings")).ok());
  EXPECT_THAT(intake.TakeChanges(), ElementsAre(reviews));
  xds::ResourceUpdate removal{.type_url = kVsType, .version = "2"};
  removal.removed.insert("team-a/reviews");
  ASSERT_TRUE(intake.Apply(removal).ok());
  EXPECT_THAT(intake.TakeChanges(), ElementsAre(reviews));
}

}  // namespace
}  // namespace keel::pilot
