#include "services/galley/sources/file_source.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/mesh/testing/hostile_yaml.h"
#include "proto/istio/networking/v1alpha3/destination_rule.pb.h"

namespace keel::galley {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

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
  // Written at once after the folder: the watch on "later" may not exist
  // yet, the source must still find b.
  std::filesystem::create_directories(dir_ + "/later");
  Write("later/b.yaml", Dr("b", "b"));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (Names().size() < 2 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_THAT(Names(), ElementsAre("default/a=a", "default/b=b"));
  source.Stop();
}

// Waits (bounded) until `done` holds; returns whether it did.
template <typename Condition>
bool Eventually(Condition done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

std::vector<std::string> ErrorTexts(const LoadReport& report) {
  std::vector<std::string> out;
  for (const mesh::Diagnostic& d : report.errors) out.push_back(d.ToString());
  return out;
}

TEST_F(FileSourceTest, SymlinkLoopsAreErrorsWithTheirPathsNotCrashes) {
  Write("good.yaml", Dr("good", "good"));
  std::filesystem::create_symlink("..", dir_ + "/nested/loop");
  std::filesystem::create_symlink("self.yaml", dir_ + "/self.yaml");
  FileSource source({.directories = {dir_}}, &store_);
  ASSERT_TRUE(source.Load().ok());
  EXPECT_THAT(Names(), ElementsAre("default/good=good"));
  EXPECT_THAT(ErrorTexts(source.LastReport()),
              UnorderedElementsAre(
                  HasSubstr("nested/loop: symlink loop: this folder is already being read"),
                  HasSubstr("self.yaml: symlink loop: the link resolves back to itself")));
}

TEST_F(FileSourceTest, SymlinkLoopAddedLiveIsReportedAndTheRestStillLoads) {
  Write("good.yaml", Dr("good", "good"));
  FileSource source({.directories = {dir_}, .debounce = absl::Milliseconds(20)}, &store_);
  ASSERT_TRUE(source.Load().ok());
  ASSERT_TRUE(source.Watch().ok());
  std::filesystem::create_symlink("..", dir_ + "/nested/loop");
  Write("nested/later.yaml", Dr("later", "later"));
  EXPECT_TRUE(Eventually([&] { return Names().size() == 2; }));
  EXPECT_TRUE(Eventually([&] { return source.LastReport().errors.size() == 1; }));
  source.Stop();
}

TEST_F(FileSourceTest, DanglingSymlinkIsAnErrorAndKeepsWhatTheFileGave) {
  Write("real.yaml", Dr("a", "a"));
  std::filesystem::create_symlink(dir_ + "/real.yaml", dir_ + "/link.yaml");
  std::filesystem::create_symlink(dir_ + "/gone.txt", dir_ + "/notes.txt");  // not config
  FileSource source({.directories = {dir_}}, &store_);
  ASSERT_TRUE(source.Load().ok());
  std::filesystem::rename(dir_ + "/real.yaml", dir_ + "/.real.yaml.bak");
  source.Load().IgnoreError();
  EXPECT_THAT(Names(), ElementsAre("default/a=a"));  // link.yaml's last good
  EXPECT_THAT(ErrorTexts(source.LastReport()),
              ElementsAre(HasSubstr("link.yaml: dangling symlink: its target does not exist")));
}

TEST_F(FileSourceTest, UnreadableFileIsAnErrorAndKeepsWhatItGave) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads files of mode 000";
  Write("a.yaml", Dr("a", "a"));
  FileSource source({.directories = {dir_}}, &store_);
  ASSERT_TRUE(source.Load().ok());
  std::filesystem::permissions(dir_ + "/a.yaml", std::filesystem::perms::none);
  source.Load().IgnoreError();
  EXPECT_THAT(Names(), ElementsAre("default/a=a"));
  EXPECT_THAT(ErrorTexts(source.LastReport()),
              ElementsAre(HasSubstr("a.yaml: cannot read: Permission denied")));
}

// The layout the kubelet gives a ConfigMap volume, and its atomic update:
// a new timestamped folder, then "..data" swapped by rename.
TEST_F(FileSourceTest, ConfigMapMountIsReadOnceAndItsSwapIsSeen) {
  namespace fs = std::filesystem;
  fs::create_directories(dir_ + "/..2026_11_30_01");
  Write("..2026_11_30_01/rules.yaml", Dr("a", "a"));
  fs::create_symlink("..2026_11_30_01", dir_ + "/..data");
  fs::create_symlink("..data/rules.yaml", dir_ + "/rules.yaml");
  FileSource source({.directories = {dir_}, .debounce = absl::Milliseconds(20)}, &store_);
  ASSERT_TRUE(source.Load().ok());
  EXPECT_THAT(Names(), ElementsAre("default/a=a"));
  EXPECT_THAT(ErrorTexts(source.LastReport()), IsEmpty());
  EXPECT_EQ(source.LastReport().files, 1u);
  ASSERT_TRUE(source.Watch().ok());
  fs::create_directories(dir_ + "/..2026_11_30_02");
  Write("..2026_11_30_02/rules.yaml", Dr("a", "a2"));
  fs::create_symlink("..2026_11_30_02", dir_ + "/..data_tmp");
  fs::rename(dir_ + "/..data_tmp", dir_ + "/..data");
  fs::remove_all(dir_ + "/..2026_11_30_01");
  EXPECT_TRUE(Eventually([&] { return Names() == std::vector<std::string>{"default/a=a2"}; }));
  EXPECT_THAT(ErrorTexts(source.LastReport()), IsEmpty());
  source.Stop();
}

TEST_F(FileSourceTest, VanishedFolderKeepsTheLastGoodConfigAndTheWatchRearms) {
  Write("a.yaml", Dr("a", "a"));
  FileSource source({.directories = {dir_}, .debounce = absl::Milliseconds(20)}, &store_);
  ASSERT_TRUE(source.Load().ok());
  ASSERT_TRUE(source.Watch().ok());
  std::filesystem::remove_all(dir_);
  ASSERT_TRUE(Eventually([&] { return !source.LastReport().missing_directories.empty(); }));
  EXPECT_THAT(Names(), ElementsAre("default/a=a"));
  EXPECT_THAT(ErrorTexts(source.LastReport()),
              ElementsAre(HasSubstr("configured folder is gone: serving its last good config")));
  // Back (rm + mkdir, as a deploy script does): watched again.
  std::filesystem::create_directories(dir_);
  Write("b.yaml", Dr("b", "b"));
  ASSERT_TRUE(Eventually([&] { return Names() == std::vector<std::string>{"default/b=b"}; }));
  EXPECT_THAT(ErrorTexts(source.LastReport()), IsEmpty());
  Write("b.yaml", Dr("b", "b2"));
  EXPECT_TRUE(Eventually([&] { return Names() == std::vector<std::string>{"default/b=b2"}; }));
  source.Stop();
}

// `mv c c.away; mkdir c`: the folder is there but empty. What it held is
// kept, with a warning naming the folder; a file put back is read; a folder
// left with an empty file in it is emptied on purpose.
TEST_F(FileSourceTest, AFolderReplacedByAnEmptyOneKeepsItsConfigUntilAFileIsThere) {
  Write("a.yaml", Dr("a", "a"));
  Write("b.yaml", Dr("b", "b"));
  FileSource source({.directories = {dir_}, .debounce = absl::Milliseconds(20)}, &store_);
  ASSERT_TRUE(source.Load().ok());
  ASSERT_TRUE(source.Watch().ok());
  std::filesystem::rename(dir_, dir_ + ".away");
  std::filesystem::create_directories(dir_);
  ASSERT_TRUE(Eventually([&] { return !source.LastReport().emptied_directories.empty(); }));
  EXPECT_THAT(Names(), ElementsAre("default/a=a", "default/b=b"));
  LoadReport report = source.LastReport();
  EXPECT_THAT(ErrorTexts(report), IsEmpty());
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_THAT(report.warnings[0].ToString(),
              HasSubstr(dir_ + ": Warning configured folder is empty: serving the 2 resources it held"));
  // Files back: read as usual.
  Write("a.yaml", Dr("a", "a2"));
  ASSERT_TRUE(Eventually([&] { return Names() == std::vector<std::string>{"default/a=a2"}; }));
  EXPECT_THAT(source.LastReport().emptied_directories, IsEmpty());
  // Emptied on purpose: an empty file stays.
  std::filesystem::remove(dir_ + "/a.yaml");
  Write("empty.yaml", "");
  EXPECT_TRUE(Eventually([&] { return Names().empty(); }));
  EXPECT_THAT(source.LastReport().warnings, IsEmpty());
  source.Stop();
}

TEST_F(FileSourceTest, AliasBombIsRejectedAndTheFolderStillLoads) {
  Write("bomb.yaml", mesh::testing::AliasBombYaml());
  Write("good.yaml", Dr("good", "good"));
  FileSource source({.directories = {dir_}}, &store_);
  ASSERT_TRUE(source.Load().ok());
  EXPECT_THAT(Names(), ElementsAre("default/good=good"));
  EXPECT_THAT(ErrorTexts(source.LastReport()),
              ElementsAre(HasSubstr("bomb.yaml:1:1: VirtualService default/bomb: YAML aliases")));
}

}  // namespace
}  // namespace keel::galley
