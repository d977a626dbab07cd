#include "libs/xds/status_json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::xds {
namespace {

TEST(StatusJsonTest, SyncStatesAsIstioctlNamesThem) {
  EXPECT_STREQ(SyncState(TypeStatus{}), "NOT SENT");
  EXPECT_STREQ(SyncState(TypeStatus{.sent_version = "", .responses = 1}), "SYNCED");
  EXPECT_STREQ(SyncState(TypeStatus{.sent_version = "v2", .acked_version = "v1", .responses = 2}),
               "STALE");
  EXPECT_STREQ(
      SyncState(TypeStatus{
          .sent_version = "v2", .acked_version = "v1", .nacked_version = "v2", .responses = 2}),
      "ERROR");
}

TEST(StatusJsonTest, ClientSuppliedStringsAreEscaped) {
  StreamStatus stream{.node_id = "evil\"},{\"proxy\":\"x", .peer = "ipv4:127.0.0.1:1"};
  stream.types.push_back(TypeStatus{.type_url = "type\n\"url", .nack_message = "bad \\ thing"});
  JsonWriter json;
  WriteStreams({stream}, json);
  const std::string text = json.Take();
  EXPECT_THAT(text, ::testing::HasSubstr(R"("proxy":"evil\"},{\"proxy\":\"x")"));
  EXPECT_THAT(text, ::testing::HasSubstr(R"("type":"type\n\"url")"));
  EXPECT_THAT(text, ::testing::HasSubstr(R"("error":"bad \\ thing")"));
}

}  // namespace
}  // namespace keel::xds
