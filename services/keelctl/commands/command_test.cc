#include "services/keelctl/commands/command.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

// With --cert_dir the bootstrap names gRPC's file_watcher provider over
// keel-agent's files, as the instance Pilot's TLS contexts refer to.
TEST(KeelctlTest, BootstrapWithCertificatesNamesTheFileWatcherProvider) {
  Result result = RunCommand({"bootstrap", "--node_id=n", "--cert_dir=/var/run/keel/certs"});
  ASSERT_EQ(result.status, 0) << result.err;
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(result.out, &parsed).ok()) << result.out;
  const auto& provider = parsed.fields()
                             .at("certificate_providers")
                             .struct_value()
                             .fields()
                             .at("default")
                             .struct_value()
                             .fields();
  EXPECT_EQ(provider.at("plugin_name").string_value(), "file_watcher");
  const auto& config = provider.at("config").struct_value().fields();
  EXPECT_EQ(config.at("certificate_file").string_value(), "/var/run/keel/certs/cert-chain.pem");
  EXPECT_EQ(config.at("private_key_file").string_value(), "/var/run/keel/certs/key.pem");
  EXPECT_EQ(config.at("ca_certificate_file").string_value(), "/var/run/keel/certs/root-cert.pem");
  Result missing = RunCommand({"bootstrap"});
  EXPECT_EQ(missing.status, 2);
  EXPECT_THAT(missing.err, HasSubstr("--node_id: a node id is required"));
}

// A Pilot that accepts the connection and never answers: proxy-status
// gives up with an error rather than hanging (istio/istio#13492).
TEST(KeelctlTest, ProxyStatusNeverHangs) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 8), 0);  // the kernel accepts; nobody ever reads or answers
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string pilot = "--pilot=127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  Result result = RunCommand({"proxy-status", pilot});
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err, HasSubstr("keelctl proxy-status:"));
  close(fd);
}

}  // namespace
}  // namespace keel::keelctl
