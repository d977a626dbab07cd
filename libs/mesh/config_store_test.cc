#include "libs/mesh/config_store.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::mesh {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::string kDr = "networking.istio.io/v1alpha3/DestinationRule";
const std::string kVs = "networking.istio.io/v1alpha3/VirtualService";

std::vector<Resource> Resources(const std::string& text) {
  ParsedFile parsed = ParseConfigFile("s.yaml", text);
  EXPECT_THAT(parsed.diagnostics, IsEmpty());
  return parsed.resources;
}

std::string Dr(const std::string& name, const std::string& host) {
  return "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: " + name +
         "}\nspec: {host: " + host + "}\n---\n";
}

TEST(MemoryConfigStoreTest, PublishesOnlyRealChangesWithDeterministicVersions) {
  MemoryConfigStore store;
  std::vector<std::pair<uint64_t, ConfigChange>> seen;
  auto handle =
      store.Watch([&](std::shared_ptr<const ConfigSnapshot> snapshot, const ConfigChange& change) {
        seen.push_back({snapshot->generation, change});
      });
  const std::string empty_version = store.Current()->types.at(kDr).version;

  ConfigChange first = store.Replace(Resources(Dr("a", "a") + Dr("b", "b")));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_THAT(first.at(kDr).updated, ElementsAre("default/a", "default/b"));
  const std::string v1 = store.Current()->types.at(kDr).version;
  EXPECT_NE(v1, empty_version);
  EXPECT_EQ(store.Current()->types.at(kVs).version, empty_version);

  // Same content again (even re-parsed): nothing published.
  EXPECT_THAT(store.Replace(Resources(Dr("b", "b") + Dr("a", "a"))), IsEmpty());
  EXPECT_EQ(store.Current()->generation, 1u);

  ConfigChange second = store.Replace(Resources(Dr("a", "changed")));
  EXPECT_THAT(second.at(kDr).updated, ElementsAre("default/a"));
  EXPECT_THAT(second.at(kDr).removed, ElementsAre("default/b"));
  EXPECT_NE(store.Current()->types.at(kDr).version, v1);

  // Versions depend only on content: a fresh store reaches the same one.
  MemoryConfigStore other;
  other.Replace(Resources(Dr("a", "changed")));
  EXPECT_EQ(other.Current()->types.at(kDr).version, store.Current()->types.at(kDr).version);

  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].first, 2u);
  handle.reset();
  store.Replace(std::vector<Resource>{});
  EXPECT_EQ(seen.size(), 2u);  // unwatched
  EXPECT_EQ(store.Current()->size(), 0u);
}

}  // namespace
}  // namespace keel::mesh
