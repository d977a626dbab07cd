#include "libs/common/files.h"

#include <sys/stat.h>

#include <cstdlib>
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

}  // namespace
}  // namespace keel
