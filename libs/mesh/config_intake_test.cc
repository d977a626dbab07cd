#include "libs/mesh/config_intake.h"

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/mesh/mcp.h"
#include "libs/mesh/resource.h"

namespace keel::mesh {
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

// What the next push regenerates for: each change once, a resource resent
// unchanged (after a reconnect to Galley) not at all.
TEST(ConfigIntakeTest, ChangesAreTakenOnceAndResentResourcesAreNoChange) {
  ConfigIntake intake(kPilot);
  ASSERT_TRUE(intake.Apply(Update("reviews")).ok());
  const ConfigKey reviews{.kind = "VirtualService", .namespace_name = "team-a", .name = "reviews"};
  EXPECT_THAT(intake.Take().changes, ElementsAre(reviews));
  EXPECT_THAT(intake.Take().changes, IsEmpty());
  ASSERT_TRUE(intake.Apply(Update("reviews")).ok());  // resent as it was
  EXPECT_THAT(intake.Take().changes, IsEmpty());
  ASSERT_TRUE(intake.Apply(Update("reviews, ratings")).ok());
  EXPECT_THAT(intake.Take().changes, ElementsAre(reviews));
  xds::ResourceUpdate removal{.type_url = kVsType, .version = "2"};
  removal.removed.insert("team-a/reviews");
  ASSERT_TRUE(intake.Apply(removal).ok());
  EXPECT_THAT(intake.Take().changes, ElementsAre(reviews));
}

// A state-of-the-world update is the whole type: a resource it leaves out
// is removed, and that is a change.
TEST(ConfigIntakeTest, AFullStateUpdateRemovesWhatItLeavesOut) {
  ConfigIntake intake(kPilot);
  ASSERT_TRUE(intake.Apply(Update("reviews")).ok());
  (void)intake.Take().changes;
  xds::ResourceUpdate empty{.type_url = kVsType, .version = "2", .full_state = true};
  ASSERT_TRUE(intake.Apply(empty).ok());
  const ConfigKey reviews{.kind = "VirtualService", .namespace_name = "team-a", .name = "reviews"};
  EXPECT_THAT(intake.Take().changes, ElementsAre(reviews));
  EXPECT_THAT(intake.Current().resources, IsEmpty());
  xds::ResourceUpdate again = Update("reviews");
  again.full_state = true;
  ASSERT_TRUE(intake.Apply(again).ok());
  ASSERT_TRUE(intake.Apply(again).ok());  // the same whole state: no change the second time
  EXPECT_THAT(intake.Take().changes, ElementsAre(reviews));
  EXPECT_EQ(intake.Current().resources.size(), 1u);
}

// While updates land, every Take's changes name each resource whose
// content differs between the previous Take's snapshot and this one's: a
// push never builds from config whose change it did not hear of.
TEST(ConfigIntakeTest, ChangesAndTheSnapshotAreTakenTogether) {
  ConfigIntake intake(kPilot);
  ASSERT_TRUE(intake.Apply(Update("h0")).ok());
  const ConfigKey reviews{.kind = "VirtualService", .namespace_name = "team-a", .name = "reviews"};
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 1; i <= 3000; ++i) (void)intake.Apply(Update("h" + std::to_string(i)));
    done = true;
  });
  auto content = [](const ConfigIntake::Snapshot& snapshot) -> uint64_t {
    return snapshot.resources.empty() ? 0 : snapshot.resources[0]->ContentHash();
  };
  uint64_t previous = content(intake.Take().snapshot);
  int takes = 0, missed = 0;
  while (!done) {
    ConfigIntake::Taken taken = intake.Take();
    const uint64_t now = content(taken.snapshot);
    if (now != previous && taken.changes.count(reviews) == 0) ++missed;
    previous = now;
    ++takes;
  }
  writer.join();
  EXPECT_EQ(missed, 0) << "of " << takes << " takes";
}

// In one process Galley attaches each resource to its envelope: the intake
// takes it as it is (the same object), and never decodes the envelope.
TEST(ConfigIntakeTest, AnAttachedResourceIsTakenWithoutDecoding) {
  xds::ResourceUpdate update = Update("reviews");
  auto wire = std::make_shared<xds::XdsResource>(*update.updated.begin()->second);
  ParsedFile parsed = ParseConfigFile(
      "vs.yaml",
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
      "metadata: {name: reviews, namespace: team-a}\nspec: {hosts: [reviews]}\n");
  auto attached = std::make_shared<const Resource>(std::move(parsed.resources.at(0)));
  wire->local = std::make_shared<const LocalResource>(attached);
  wire->body.set_value("not an envelope");  // decoding it would fail
  update.updated[wire->name] = wire;
  ConfigIntake intake(kPilot);
  ASSERT_TRUE(intake.Apply(update).ok());
  ASSERT_EQ(intake.Current().resources.size(), 1u);
  EXPECT_EQ(intake.Current().resources[0].get(), attached.get());
  // Without the attachment the same envelope is decoded, and refused.
  wire->local = nullptr;
  EXPECT_FALSE(ConfigIntake(kPilot).Apply(update).ok());
}

// Each consumer's intake expects the kinds the table says it reads: it is
// complete when all of them have arrived, and refuses any other kind.
TEST(ConfigIntakeTest, ACompleteConfigIsEveryKindItsConsumerReads) {
  ConfigIntake mixer(kMixer);
  EXPECT_FALSE(mixer.Apply(Update("reviews")).ok()) << "Mixer reads no VirtualService";
  ASSERT_EQ(mixer.type_urls().size(), KindsConsumedBy(kMixer).size());
  EXPECT_THAT(mixer.type_urls(), ::testing::Contains(kinds::Rule.info().type_url()));
  for (size_t i = 0; i < mixer.type_urls().size(); ++i) {
    EXPECT_FALSE(mixer.Complete());
    absl::StatusOr<bool> completed =
        mixer.Apply(xds::ResourceUpdate{.type_url = mixer.type_urls()[i], .full_state = true});
    ASSERT_TRUE(completed.ok()) << completed.status();
    EXPECT_EQ(*completed, i + 1 == mixer.type_urls().size());
  }
  EXPECT_TRUE(mixer.Complete());
  // Arriving again completes nothing more.
  EXPECT_FALSE(*mixer.Apply(xds::ResourceUpdate{.type_url = mixer.type_urls()[0]}));

  // An intake that keeps every kind still completes on its consumer's.
  ConfigIntake everything(kMixer, ConfigIntake::kEveryKind);
  EXPECT_EQ(everything.type_urls().size(), AllKinds().size());
  EXPECT_TRUE(everything.Apply(Update("reviews")).ok());
  EXPECT_FALSE(everything.Complete());
  for (const std::string& type_url : everything.required_type_urls()) {
    ASSERT_TRUE(everything.Apply(xds::ResourceUpdate{.type_url = type_url}).ok());
  }
  EXPECT_TRUE(everything.Complete());
}

}  // namespace
}  // namespace keel::mesh
