#include "libs/common/net.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

TEST(ParseHostPortTest, AcceptsHostV6AndEmptyHost) {
  auto v4 = ParseHostPort("127.0.0.1:15010");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 15010);
  auto v6 = ParseHostPort("[::1]:80");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  auto any = ParseHostPort(":9901");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->host, "");
  EXPECT_EQ(any->port, 9901);
}

TEST(ParseHostPortTest, RejectsMalformedAddresses) {
  for (const char* bad : {"localhost", "host:", "host:http", "host:70000", "::1:80"}) {
    auto parsed = ParseHostPort(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    EXPECT_THAT(parsed.status().message(), HasSubstr(bad));
  }
}

TEST(GrpcListenAddressTest, EmptyHostListensOnEveryInterface) {
  EXPECT_EQ(GrpcListenAddress(":15010"), "[::]:15010");
  EXPECT_EQ(GrpcListenAddress("127.0.0.1:15010"), "127.0.0.1:15010");
  EXPECT_EQ(GrpcListenAddress("[::1]:80"), "[::1]:80");
}

TEST(ListenAddressFlagTest, ParsesValidAndRejectsMalformedAddresses) {
  ListenAddress address;
  std::string error;
  EXPECT_TRUE(AbslParseFlag(":9901", &address, &error));
  EXPECT_EQ(address.value, ":9901");
  EXPECT_TRUE(AbslParseFlag("", &address, &error)) << "empty means off";
  EXPECT_FALSE(AbslParseFlag("localhost", &address, &error));
  EXPECT_THAT(error, HasSubstr("no port"));
  EXPECT_FALSE(AbslParseFlag("host:99999", &address, &error));
  EXPECT_EQ(AbslUnparseFlag(ListenAddress{":15010"}), ":15010");
}

TEST(JoinHostPortTest, BracketsIPv6) {
  EXPECT_EQ(JoinHostPort("::1", 80), "[::1]:80");
  EXPECT_EQ(JoinHostPort("10.0.0.1", 80), "10.0.0.1:80");
}

TEST(CheckCanListenTest, ReportsBusyPortWithTheOsReason) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string address = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  absl::Status busy = CheckCanListen(address);
  EXPECT_EQ(busy.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(busy.message(), HasSubstr("Address already in use"));
  close(fd);
  EXPECT_TRUE(CheckCanListen(address).ok());
}

// Several replicas' addresses become one channel target gRPC fails over across.
TEST(GrpcTargetForTest, ListsOfLiteralAddressesBecomeOneTarget) {
  EXPECT_EQ(GrpcTargetFor("127.0.0.1:9901"), "127.0.0.1:9901");
  EXPECT_EQ(GrpcTargetFor("galley:9901"), "galley:9901");
  EXPECT_EQ(GrpcTargetFor("127.0.0.1:1,127.0.0.2:2"), "ipv4:127.0.0.1:1,127.0.0.2:2");
  EXPECT_EQ(GrpcTargetFor("[::1]:1,[::2]:2"), "ipv6:[::1]:1,[::2]:2");
  EXPECT_EQ(GrpcTargetFor("a:1,b:2"), "dns:///a:1");
  EXPECT_EQ(GrpcTargetFor("ipv4:127.0.0.1:1,127.0.0.2:2"), "ipv4:127.0.0.1:1,127.0.0.2:2");
}

TEST(IsLoopbackGrpcPeerTest, OnlyThisMachinesAddresses) {
  EXPECT_TRUE(IsLoopbackGrpcPeer("ipv4:127.0.0.1:5000"));
  EXPECT_TRUE(IsLoopbackGrpcPeer("ipv6:[::1]:5000"));
  EXPECT_TRUE(IsLoopbackGrpcPeer("ipv6:[::ffff:127.0.0.1]:5000"));
  EXPECT_TRUE(IsLoopbackGrpcPeer("unix:/run/keel.sock"));
  EXPECT_FALSE(IsLoopbackGrpcPeer("ipv4:10.0.0.1:5000"));
  EXPECT_FALSE(IsLoopbackGrpcPeer("ipv4:128.0.0.1:5000"));
  EXPECT_FALSE(IsLoopbackGrpcPeer("ipv6:[2001:db8::1]:5000"));
}

}  // namespace
}  // namespace keel
