#include "libs/common/files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(WriteFileAtomicallyTest, ReplacesContentsWithTheModeAsked) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/key.pem");
  ASSERT_TRUE(WriteFileAtomically(path, "old", 0644).ok());
  ASSERT_TRUE(WriteFileAtomically(path, "new contents", 0600).ok());
  EXPECT_EQ(ReadAll(path), "new contents");
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
}

TEST(WriteFileAtomicallyTest, MissingDirectoryIsAnErrorNamingThePath) {
  absl::Status status = WriteFileAtomically("/nonexistent-dir/x/ports", "x");
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), ::testing::HasSubstr("/nonexistent-dir/x/ports"));
}

// A set of files changes as one: every name resolves through ..data to the
// same version; the old version's folder is gone; modes are kept.
TEST(WriteFilesTogetherTest, ASetChangesAsOne) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/together";
  ASSERT_TRUE(WriteFilesTogether(dir, {{.name = "key.pem", .contents = "k1", .mode = 0600},
                                       {.name = "cert.pem", .contents = "c1"}})
                  .ok());
  char first[256] = {};
  ASSERT_GT(readlink((dir + "/..data").c_str(), first, sizeof(first) - 1), 0);
  ASSERT_TRUE(WriteFilesTogether(dir, {{.name = "key.pem", .contents = "k2", .mode = 0600},
                                       {.name = "cert.pem", .contents = "c2"}})
                  .ok());
  EXPECT_EQ(*ReadWholeFile(dir + "/key.pem"), "k2");
  EXPECT_EQ(*ReadWholeFile(dir + "/cert.pem"), "c2");
  char link[256] = {};
  ASSERT_GT(readlink((dir + "/key.pem").c_str(), link, sizeof(link) - 1), 0);
  EXPECT_EQ(std::string(link), "..data/key.pem");
  EXPECT_FALSE(std::filesystem::exists(dir + "/" + first)) << "the old version is removed";
  struct stat info;
  ASSERT_EQ(stat((dir + "/key.pem").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  // A plain file from before becomes a link too.
  ASSERT_TRUE(WriteFileAtomically(dir + "/plain.pem", "p0").ok());
  ASSERT_TRUE(WriteFilesTogether(dir, {{.name = "plain.pem", .contents = "p1"}}).ok());
  EXPECT_EQ(*ReadWholeFile(dir + "/plain.pem"), "p1");
}

}  // namespace
}  // namespace keel
