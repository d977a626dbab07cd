#include "services/galley/sources/file_source.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/istio/networking/v1alpha3/destination_rule.pb.h"

namespace keel::galley {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kDr = "networking.istio.io/v1alpha3/DestinationRule";

std::string Dr(const std::string& name, const std::string& host) {
  return "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: " + name +
         "}\nspec: {host: " + host + "}\n";
}

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(dir_ + "/nested");
  }
  void Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ + "/" + name) << content;
  }
  std::vector<std::string> Names() {
    std::vector<std::string> names;
    for (const auto& [key, r] : store_.Current()->types.at(kDr).resources) {
      names.push_back(
          key + "=" +
          static_cast<const istio::networking::v1alpha3::DestinationRule&>(*r->spec).host());
    }
    return names;
  }

  std::string dir_;
  mesh::MemoryConfigStore store_;
};

TEST_F(FileSourceTest, LoadsRecursivelyAndSkipsForeignFiles) {
  Write("a.yaml",
        Dr("a", "a") + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n");
  Write("nested/b.yml", Dr("b", "b"));
  Write("notes.txt", "not config");
  FileSource source({.directories = {dir_}}, &store_);
  ASSERT_TRUE(source.Load().ok());
  EXPECT_THAT(Names(), ElementsAre("default/a=a", "default/b=b"));
  EXPECT_EQ(source.LastReport().skipped.size(), 1u);
  EXPECT_TRUE(source.LastReport().errors.empty());
}

TEST_F(FileSourceTest, InvalidResourceKeepsLastGoodVersionAndNeighboursStay) {
  Write("a.yaml", Dr("a", "a") + "---\n" + Dr("b", "b"));
  FileSource source({.directories = {dir_}}, &store_);
  ASSERT_TRUE(source.Load().ok());
  // b becomes invalid; a changes: a updates, b keeps its last good version.
  Write("a.yaml", Dr("a", "a2") + "---\n" + Dr("b", "\"b b\""));
  source.Load().IgnoreError();
  EXPECT_THAT(Names(), ElementsAre("default/a=a2", "default/b=b"));
  LoadReport report = source.LastReport();
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_THAT(report.errors[0].ToString(), HasSubstr("a.yaml:9:"));
  EXPECT_THAT(report.errors[0].ToString(), HasSubstr("spec.host: domain name"));
  EXPECT_THAT(report.stale, ElementsAre("DestinationRule/default/b"));
  // Fixed: the new version is served.
  Write("a.yaml", Dr("a", "a2") + "---\n" + Dr("b", "b3"));
  source.Load().IgnoreError();
  EXPECT_THAT(Names(), ElementsAre("default/a=a2", "default/b=b3"));
  EXPECT_TRUE(source.LastReport().stale.empty());
}

TEST_F(FileSourceTest, NeverValidResourceIsNotServed) {
  Write("a.yaml", Dr("a", "a") + "---\n" + Dr("bad", "\"x y\""));
  FileSource source({.directories = {dir_}}, &store_);
  ASSERT_TRUE(source.Load().ok());
  EXPECT_THAT(Names(), ElementsAre("default/a=a"));
  EXPECT_EQ(source.LastReport().errors_by_kind.at("DestinationRule"), 1u);
}

TEST_F(FileSourceTest, UnreadableDocumentKeepsTheFilesEarlierResources) {
  Write("a.yaml", Dr("a", "a") + "---\n" + Dr("b", "b"));
  FileSource source({.directories = {dir_}}, &store_);
  ASSERT_TRUE(source.Load().ok());
  Write("a.yaml", Dr("a", "a") + "---\napiVersion: networking.istio.io/v1\nkind: [unclosed\n");
  source.Load().IgnoreError();
  EXPECT_THAT(Names(), ElementsAre("default/a=a", "default/b=b"));
  // Removing the broken document (cleanly) removes b.
  Write("a.yaml", Dr("a", "a"));
  source.Load().IgnoreError();
  EXPECT_THAT(Names(), ElementsAre("default/a=a"));
}

TEST_F(FileSourceTest, DeletedFileRemovesItsResourcesAndDuplicatesAreErrors) {
  Write("a.yaml", Dr("a", "a"));
  Write("b.yaml", Dr("a", "other"));
  FileSource source({.directories = {dir_}}, &store_);
  ASSERT_TRUE(source.Load().ok());
  EXPECT_THAT(Names(), ElementsAre("default/a=a"));
  ASSERT_EQ(source.LastReport().errors.size(), 1u);
  EXPECT_THAT(source.LastReport().errors[0].message,
              HasSubstr("duplicate resource: also defined in"));
  std::filesystem::remove(dir_ + "/a.yaml");
  source.Load().IgnoreError();
  EXPECT_THAT(Names(), ElementsAre("default/a=other"));
}

TEST_F(FileSourceTest, MissingDirectoryIsAnError) {
  FileSource source({.directories = {dir_ + "/nope"}}, &store_);
  EXPECT_EQ(source.Load().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(FileSourceTest, WatchReloadsAfterChanges) {
  Write("a.yaml", Dr("a", "a"));
  FileSource source({.directories = {dir_}, .debounce = absl::Milliseconds(20)}, &store_);
  ASSERT_TRUE(source.Load().ok());
  ASSERT_TRUE(source.Watch().ok());
  std::filesystem::create_directories(dir_ + "/later");
  absl::SleepFor(absl::Milliseconds(100));  // the new directory gets its watch
  Write("later/b.yaml", Dr("b", "b"));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (Names().size() < 2 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_THAT(Names(), ElementsAre("default/a=a", "default/b=b"));
  source.Stop();
}

}  // namespace
}  // namespace keel::galley
