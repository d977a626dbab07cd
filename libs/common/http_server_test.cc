#include "libs/common/http_server.h"

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

}  // namespace
}  // namespace keel
