#include "services/keelctl/commands/command.h"

#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "libs/common/build_info.h"

namespace keel::keelctl {
namespace {

using ::testing::HasSubstr;

// Runs keelctl with `args` and captures what it prints.
struct Result {
  int status;
  std::string out;
  std::string err;
};

std::string ReadAll(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), file)) > 0) text.append(buf, n);
  std::fclose(file);
  return text;
}

Result RunCommand(const std::vector<std::string>& args) {
  CommandIo io{.out = std::tmpfile(), .err = std::tmpfile()};
  int status = RunKeelctl(args, io);
  return Result{status, ReadAll(io.out), ReadAll(io.err)};
}

TEST(KeelctlTest, VersionPrintsStampedVersionAndCommit) {
  Result result = RunCommand({"version"});
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.out, VersionLine("keelctl") + "\n");
  EXPECT_THAT(result.out, HasSubstr(KeelVersion()));
}

TEST(KeelctlTest, VersionRejectsArguments) {
  Result result = RunCommand({"version", "extra"});
  EXPECT_EQ(result.status, 2);
  EXPECT_THAT(result.err, HasSubstr("takes no arguments"));
}

TEST(KeelctlTest, UnknownCommandIsUsageError) {
  Result result = RunCommand({"frobnicate"});
  EXPECT_EQ(result.status, 2);
  EXPECT_THAT(result.err, HasSubstr("unknown command \"frobnicate\""));
}

TEST(KeelctlTest, NoCommandPrintsUsage) {
  Result result = RunCommand({});
  EXPECT_EQ(result.status, 2);
  EXPECT_THAT(result.err, HasSubstr("keelctl version"));
}

// A node id with a newline or quotes still makes valid JSON that keeps it.
TEST(KeelctlTest, BootstrapIsValidJsonWhateverTheNodeId) {
  const std::string node_id = "sidecar~10.0.0.1~a\"b\nc.default~d";
  Result result = RunCommand({"bootstrap", "--node_id=" + node_id, "--pilot=pilot:15010",
                              "--locality=us-east/zone-a", "--labels=app=echo,version=v1"});
  ASSERT_EQ(result.status, 0) << result.err;
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(result.out, &parsed).ok()) << result.out;
  const auto& node = parsed.fields().at("node").struct_value().fields();
  EXPECT_EQ(node.at("id").string_value(), node_id);
  EXPECT_EQ(node.at("locality").struct_value().fields().at("zone").string_value(), "zone-a");
  const auto& labels = node.at("metadata").struct_value().fields().at("LABELS").struct_value();
  EXPECT_EQ(labels.fields().at("version").string_value(), "v1");
  EXPECT_EQ(parsed.fields()
                .at("xds_servers")
                .list_value()
                .values(0)
                .struct_value()
                .fields()
                .at("server_uri")
                .string_value(),
            "pilot:15010");
}

}  // namespace
}  // namespace keel::keelctl
