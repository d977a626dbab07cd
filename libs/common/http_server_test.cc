#include "libs/common/http_server.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/http_client.h"

namespace keel {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Address(const HttpServer& server) {
  return "127.0.0.1:" + std::to_string(server.port());
}

TEST(HttpServerTest, RoutesByExactPathAndDecodesTheQuery) {
  auto server = HttpServer::Start("127.0.0.1:0");
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->Handle("/echo", [](const HttpRequest& request) {
    return HttpResponse{.body = request.method + " " + request.path +
                                " id=" + request.QueryParam("id").value_or("none")};
  });
  auto echoed = HttpGet(Address(**server), "/echo?id=a%2Fb+c&x=1");
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ(echoed->status, 200);
  EXPECT_EQ(echoed->body, "GET /echo id=a/b c");
  auto missing = HttpGet(Address(**server), "/echo/more");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_THAT((*server)->Paths(), ElementsAre("/echo"));
}

TEST(HttpServerTest, PassesBodyAndHeaders) {
  auto server = HttpServer::Start("127.0.0.1:0");
  ASSERT_TRUE(server.ok());
  (*server)->Handle("/validate", [](const HttpRequest& request) {
    return HttpResponse{.status = 201,
                        .content_type = "application/json",
                        .body = request.headers.at("content-type") + "|" + request.body};
  });
  auto response = HttpFetch(
      {.method = "POST", .address = Address(**server), .target = "/validate", .body = "{\"a\":1}"});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->content_type, "application/json");
  EXPECT_EQ(response->body, "application/json|{\"a\":1}");
}

TEST(HttpServerTest, RejectsOversizedBodyWith413) {
  auto server = HttpServer::Start("127.0.0.1:0", {.max_body_bytes = 16});
  ASSERT_TRUE(server.ok());
  bool called = false;
  (*server)->Handle("/in", [&called](const HttpRequest&) {
    called = true;
    return HttpResponse{};
  });
  auto response = HttpFetch({.method = "POST",
                             .address = Address(**server),
                             .target = "/in",
                             .body = std::string(1000, 'x')});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 413);
  EXPECT_FALSE(called);
}

TEST(HttpServerTest, BusyPortIsUnavailableWithReason) {
  auto first = HttpServer::Start("127.0.0.1:0");
  ASSERT_TRUE(first.ok());
  auto second = HttpServer::Start(Address(**first));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("Address already in use"));
}

TEST(HttpServerTest, MalformedRequestDoesNotStopTheServer) {
  auto server = HttpServer::Start("127.0.0.1:0");
  ASSERT_TRUE(server.ok());
  (*server)->Handle("/ok", [](const HttpRequest&) { return HttpResponse{.body = "ok"}; });
  // A request line that is not HTTP: the connection is dropped, nothing else.
  auto garbage = HttpFetch({.method = "NOT A VERB", .address = Address(**server), .target = "x"});
  auto after = HttpGet(Address(**server), "/ok");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->body, "ok");
}

TEST(HttpClientTest, UnreachableServerIsUnavailable) {
  auto server = HttpServer::Start("127.0.0.1:0");
  ASSERT_TRUE(server.ok());
  const std::string address = Address(**server);
  (*server)->Stop();
  auto response = HttpGet(address, "/", absl::Seconds(2));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
}

// Sends raw bytes and returns the whole answer ("" if none).
std::string RawExchange(uint16_t port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return "";
  (void)!write(fd, request.data(), request.size());
  std::string answer;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) answer.append(buffer, n);
  close(fd);
  return answer;
}

std::string RawStatusLine(uint16_t port, const std::string& request) {
  const std::string answer = RawExchange(port, request);
  return answer.substr(0, answer.find("\r\n"));
}

TEST(HttpServerTest, OversizedRequestLineGets414AndHeadersGet431) {
  auto server = HttpServer::Start("127.0.0.1:0");
  ASSERT_TRUE(server.ok());
  (*server)->Handle("/ok", [](const HttpRequest&) { return HttpResponse{.body = "ok"}; });
  EXPECT_EQ(RawStatusLine((*server)->port(), "GET /ok?x=" + std::string(64 << 10, 'a') +
                                                 " HTTP/1.1\r\nHost: h\r\n\r\n"),
            "HTTP/1.1 414 URI Too Long");
  EXPECT_EQ(RawStatusLine((*server)->port(), "GET /ok HTTP/1.1\r\nHost: h\r\nX-Big: " +
                                                 std::string(64 << 10, 'b') + "\r\n\r\n"),
            "HTTP/1.1 431 Request Header Fields Too Large");
  auto fine = HttpGet(Address(**server), "/ok");
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(fine->body, "ok");
  // Pages may echo client text: no browser may sniff them as HTML.
  EXPECT_THAT(RawExchange((*server)->port(), "GET /ok HTTP/1.0\r\n\r\n"),
              HasSubstr("X-Content-Type-Options: nosniff\r\n"));
}

// The first non-loopback IPv4 address of this machine, or "".
std::string NonLoopbackAddress() {
  ifaddrs* interfaces = nullptr;
  if (getifaddrs(&interfaces) != 0) return "";
  std::string found;
  for (ifaddrs* i = interfaces; i != nullptr && found.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    found = text;
  }
  freeifaddrs(interfaces);
  return found;
}

TEST(HttpServerTest, LoopbackOnlyPrefixesAnswer403ToRemotePeers) {
  const std::string remote = NonLoopbackAddress();
  if (remote.empty()) GTEST_SKIP() << "no non-loopback address on this machine";
  auto server = HttpServer::Start("0.0.0.0:0", {.loopback_only_prefixes = {"/debug/"}});
  ASSERT_TRUE(server.ok());
  (*server)->Handle("/debug/configz", [](const HttpRequest&) { return HttpResponse{.body = "c"}; });
  (*server)->Handle("/metrics", [](const HttpRequest&) { return HttpResponse{.body = "m"}; });
  const std::string port = std::to_string((*server)->port());
  auto local = HttpGet("127.0.0.1:" + port, "/debug/configz");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->status, 200);
  auto denied = HttpGet(remote + ":" + port, "/debug/configz");
  ASSERT_TRUE(denied.ok()) << denied.status();
  EXPECT_EQ(denied->status, 403);
  EXPECT_EQ(denied->body, "/debug/* is served to local clients only\n");
  auto metrics = HttpGet(remote + ":" + port, "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->status, 200);
}

// Out of file descriptors, a queued connection cannot be accepted and
// accepting again at once fails again: the server backs off (each wait at
// least as long as the last), and serves again once descriptors are back.
TEST(HttpServerTest, AcceptFailuresBackOffAndTheServerRecovers) {
  absl::Mutex mu;
  std::vector<absl::Duration> backoffs;
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(
      "127.0.0.1:0", HttpServerOptions{.on_accept_error = [&](const std::string&, absl::Duration d) {
        absl::MutexLock lock(&mu);
        backoffs.push_back(d);
      }});
  ASSERT_TRUE(server.ok());
  (*server)->Handle("/readyz", [](const HttpRequest&) { return HttpResponse{.body = "ok"}; });
  // Sockets made before the limit, connected after it.
  std::vector<int> clients;
  for (int i = 0; i < 2; ++i) clients.push_back(socket(AF_INET, SOCK_STREAM, 0));
  rlimit before;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  // Below the highest open descriptor, nothing is free; beyond it nothing
  // may be opened.
  rlimit tight = before;
  int highest = 0;
  for (int fd = 0; fd < 65536; ++fd) {
    if (fcntl(fd, F_GETFD) != -1) highest = fd;
  }
  tight.rlim_cur = static_cast<rlim_t>(highest + 1);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
  std::vector<int> fillers;  // the free ones below it
  for (int fd; (fd = open("/dev/null", O_RDONLY)) >= 0;) fillers.push_back(fd);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons((*server)->port());
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  for (int fd : clients) {
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  }
  auto failures = [&] {
    absl::MutexLock lock(&mu);
    return backoffs.size();
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (failures() < 4 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &before), 0);
  for (int fd : fillers) close(fd);
  {
    absl::MutexLock lock(&mu);
    ASSERT_GE(backoffs.size(), 4u);
    EXPECT_GE(backoffs[0], absl::Milliseconds(50));
    for (size_t i = 1; i < backoffs.size(); ++i) EXPECT_GE(backoffs[i], backoffs[i - 1]);
    EXPECT_LE(backoffs.back(), absl::Seconds(1));
  }
  for (int fd : clients) close(fd);
  absl::StatusOr<HttpResponse> ready =
      HttpGet(absl::StrCat("127.0.0.1:", (*server)->port()), "/readyz", absl::Seconds(10));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->body, "ok");
}

}  // namespace
}  // namespace keel
