// The ADS server and client against each other over real gRPC on loopback,
// in both protocol variants.
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/wrappers.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/common/metrics.h"
#include "libs/xds/ads_client.h"
#include "libs/xds/ads_server.h"
#include "libs/xds/testing/static_source.h"

namespace keel::xds {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kType[] = "test/Thing";
constexpr char kOther[] = "test/Other";

std::string Value(const std::shared_ptr<const XdsResource>& resource) {
  google::protobuf::StringValue value;
  resource->body.UnpackTo(&value);
  return value.value();
}

std::map<std::string, std::string> Values(const AdsClient& client,
                                          const std::string& type = kType) {
  std::map<std::string, std::string> out;
  for (const auto& [name, resource] : client.Resources(type)) out[name] = Value(resource);
  return out;
}

class AdsTest : public ::testing::TestWithParam<bool> {
 protected:
  void StartServer(int port = 0) {
    server_impl_ = std::make_unique<AdsServer>(&source_, &metrics_);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(server_impl_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }

  void StopServer() {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_->Wait();
    server_.reset();
    server_impl_.reset();
  }

  std::unique_ptr<AdsClient> NewClient(AdsClient::Handler handler = nullptr) {
    AdsClientOptions options;
    options.server_address = "127.0.0.1:" + std::to_string(port_);
    options.node.set_id("test-node");
    options.delta = GetParam();
    options.initial_backoff = absl::Milliseconds(20);
    options.max_backoff = absl::Milliseconds(100);
    options.sotw_resource_name = testing::StaticSource::NameOf;
    auto client = std::make_unique<AdsClient>(options, std::move(handler));
    client->Subscribe(kType);
    return client;
  }

  // The delta half of StaleNonceIsIgnoredAndCounted.
  void DeltaStaleNonceKeepsSubscriptionChanges() {
    source_.Set(kType, {{"a", "1"}, {"b", "1"}});
    StartServer();
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                       grpc::InsecureChannelCredentials());
    auto stub = envoy::service::discovery::v3::AggregatedDiscoveryService::NewStub(channel);
    grpc::ClientContext context;
    auto stream = stub->DeltaAggregatedResources(&context);
    envoy::service::discovery::v3::DeltaDiscoveryRequest request;
    request.set_type_url(kType);
    request.mutable_node()->set_id("raw-delta");
    request.add_resource_names_subscribe("a");
    ASSERT_TRUE(stream->Write(request));
    envoy::service::discovery::v3::DeltaDiscoveryResponse first, second, third;
    ASSERT_TRUE(stream->Read(&first));
    ASSERT_EQ(first.resources_size(), 1);
    source_.Set(kType, {{"a", "2"}, {"b", "1"}});
    server_impl_->Push({kType});
    ASSERT_TRUE(stream->Read(&second));
    ASSERT_NE(first.nonce(), second.nonce());

    // Subscribe to b with the superseded nonce of the first response.
    envoy::service::discovery::v3::DeltaDiscoveryRequest stale;
    stale.set_type_url(kType);
    stale.set_response_nonce(first.nonce());
    stale.add_resource_names_subscribe("b");
    ASSERT_TRUE(stream->Write(stale));
    ASSERT_TRUE(stream->Read(&third));
    ASSERT_EQ(third.resources_size(), 1);
    EXPECT_EQ(third.resources(0).name(), "b");
    EXPECT_THAT(metrics_.SerializeText(),
                ::testing::HasSubstr("xds_stale_nonces_total{type=\"test/Thing\"} 1"));
    context.TryCancel();
    stream->Finish().IgnoreError();
  }

  testing::StaticSource source_;
  MetricsRegistry metrics_{"test"};
  std::unique_ptr<AdsServer> server_impl_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_P(AdsTest, FullStateOnConnectThenChangesAndRemovals) {
  source_.Set(kType, {{"a", "1"}, {"b", "1"}});
  StartServer();
  std::vector<ResourceUpdate> updates;
  absl::Mutex mu;
  auto client = NewClient([&](const ResourceUpdate& update) {
    absl::MutexLock lock(&mu);
    updates.push_back(update);
    return absl::OkStatus();
  });
  client->Start();
  ASSERT_TRUE(client->WaitUntil([](const AdsClient& c) { return c.Synced(); }, absl::Seconds(10)));
  EXPECT_THAT(Values(*client), ElementsAre(Pair("a", "a=1"), Pair("b", "b=1")));

  source_.Set(kType, {{"a", "2"}, {"c", "1"}});
  server_impl_->Push({kType});
  ASSERT_TRUE(client->WaitUntil(
      [](const AdsClient& c) { return Values(c).count("c") > 0 && Values(c).count("b") == 0; },
      absl::Seconds(10)));
  EXPECT_THAT(Values(*client), ElementsAre(Pair("a", "a=2"), Pair("c", "c=1")));
  absl::MutexLock lock(&mu);
  ASSERT_EQ(updates.size(), 2u);
  if (GetParam()) {
    // Delta: only what changed travels.
    EXPECT_THAT(updates[1].updated,
                UnorderedElementsAre(Pair("a", ::testing::_), Pair("c", ::testing::_)));
    EXPECT_THAT(updates[1].removed, ElementsAre("b"));
  } else {
    EXPECT_EQ(updates[1].updated.size(), 2u);
  }
  EXPECT_EQ(client->Version(kType), "a=2;c=1;");
}

TEST_P(AdsTest, PushWithoutChangeSendsNothing) {
  source_.Set(kType, {{"a", "1"}});
  StartServer();
  std::atomic<int> updates{0};
  auto client = NewClient([&](const ResourceUpdate&) {
    ++updates;
    return absl::OkStatus();
  });
  client->Start();
  ASSERT_TRUE(client->WaitUntil([](const AdsClient& c) { return c.Synced(); }, absl::Seconds(10)));
  for (int i = 0; i < 20; ++i) server_impl_->Push({kType, kOther});
  // A real change after them: the stream handles pushes in order, so once
  // it arrives every push before it has been handled.
  source_.Set(kType, {{"a", "1"}, {"c", "1"}});
  server_impl_->Push({kType});
  ASSERT_TRUE(client->WaitUntil([](const AdsClient& c) { return c.Version(kType) == "a=1;c=1;"; },
                                absl::Seconds(10)));
  EXPECT_EQ(updates, 2);
  uint64_t responses = 0;
  for (const StreamStatus& stream : server_impl_->Streams()) {
    for (const TypeStatus& type : stream.types) {
      if (type.type_url == kType) responses += type.responses;
    }
  }
  EXPECT_EQ(responses, 2u) << "the unchanged pushes sent nothing";
}

// A push that lands while a stream is sending a round of types (a slow
// client) does not mix into the round: the client gets both types of the
// first push, then both of the second, never one of each.
TEST_P(AdsTest, ARoundOfTypesComesFromOnePush) {
  source_.Set(kType, {{"a", "1"}});
  source_.Set(kOther, {{"x", "1"}});
  StartServer();
  absl::Mutex mu;
  std::vector<std::string> received;  // "type value" in arrival order
  auto client = NewClient([&](const ResourceUpdate& update) {
    absl::MutexLock lock(&mu);
    for (const auto& [name, resource] : update.updated) {
      received.push_back(update.type_url + " " + Value(resource));
    }
    return absl::OkStatus();
  });
  client->Subscribe(kOther);
  client->Start();
  ASSERT_TRUE(client->WaitUntil([](const AdsClient& c) { return c.Synced(); }, absl::Seconds(10)));
  // Push 2 is pinned for the round; while its first type is read, push 3
  // lands in the source and is announced (from another thread: the stream
  // is busy building).
  std::thread third_push;
  std::atomic<bool> landed{false};
  source_.EnablePinning([&](const std::string& type_url) {
    if (type_url != kOther || landed.exchange(true)) return;
    source_.Set(kType, {{"a", "3"}});
    source_.Set(kOther, {{"x", "3"}});
    third_push = std::thread([&] { server_impl_->Push({kType, kOther}); });
  });
  source_.Set(kType, {{"a", "2"}});
  source_.Set(kOther, {{"x", "2"}});
  server_impl_->Push({kType, kOther});
  ASSERT_TRUE(client->WaitUntil(
      [](const AdsClient& c) {
        return Values(c, kType)["a"] == "a=3" && Values(c, kOther)["x"] == "x=3";
      },
      absl::Seconds(10)));
  third_push.join();
  absl::MutexLock lock(&mu);
  const std::vector<std::string> expected = {
      std::string(kOther) + " x=2", std::string(kType) + " a=2", std::string(kOther) + " x=3",
      std::string(kType) + " a=3"};
  ASSERT_GE(received.size(), 6u);  // the first sync (x=1, a=1 in some order), then these
  EXPECT_EQ(std::vector<std::string>(received.end() - 4, received.end()), expected);
}

TEST_P(AdsTest, NackIsRecordedWithTheErrorAndTheOldStateKept) {
  source_.Set(kType, {{"a", "1"}});
  StartServer();
  auto client = NewClient([](const ResourceUpdate& update) {
    for (const auto& [name, resource] : update.updated) {
      if (Value(resource) == "a=bad") return absl::InvalidArgumentError("a is bad");
    }
    return absl::OkStatus();
  });
  client->Start();
  ASSERT_TRUE(client->WaitUntil([](const AdsClient& c) { return c.Synced(); }, absl::Seconds(10)));
  // The client is synced before its ACK reaches the server; an ACK that
  // arrives after the next push carries a stale nonce and is not recorded.
  auto acked = [&] {
    for (const StreamStatus& stream : server_impl_->Streams()) {
      for (const TypeStatus& type : stream.types) {
        if (type.acked_version == "a=1;") return true;
      }
    }
    return false;
  };
  const absl::Time acked_by = absl::Now() + absl::Seconds(10);
  while (!acked() && absl::Now() < acked_by) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_TRUE(acked());
  source_.Set(kType, {{"a", "bad"}});
  server_impl_->Push({kType});
  auto nacked = [&] {
    for (const StreamStatus& stream : server_impl_->Streams()) {
      for (const TypeStatus& type : stream.types) {
        if (type.nacks > 0) return type;
      }
    }
    return TypeStatus{};
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (nacked().nacks == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  TypeStatus status = nacked();
  EXPECT_EQ(status.nacks, 1u);
  EXPECT_EQ(status.nack_message, "a is bad");
  EXPECT_EQ(status.nacked_version, "a=bad;");
  EXPECT_EQ(status.acked_version, "a=1;");
  EXPECT_THAT(Values(*client), ElementsAre(Pair("a", "a=1")));
  EXPECT_THAT(metrics_.SerializeText(),
              ::testing::HasSubstr("xds_rejects_total{type=\"test/Thing\"} 1"));
  // The same config pushed again is not resent (the proxy would only NACK
  // it again): the next response the stream gets is the next change.
  const uint64_t responses_after_nack = status.responses;
  server_impl_->Push({kType});
  source_.Set(kType, {{"a", "2"}});
  server_impl_->Push({kType});
  ASSERT_TRUE(client->WaitUntil([](const AdsClient& c) { return Values(c)["a"] == "a=2"; },
                                absl::Seconds(10)));
  for (const StreamStatus& stream : server_impl_->Streams()) {
    for (const TypeStatus& type : stream.types) {
      EXPECT_EQ(type.responses, responses_after_nack + 1) << "the bad config was sent again";
      EXPECT_EQ(type.nacks, 1u);
    }
  }
}

TEST_P(AdsTest, NotReadyServerRefusesStreamsUntilReady) {
  source_.Set(kType, {{"a", "1"}});
  source_.SetReady(false);
  StartServer();
  auto client = NewClient();
  client->Start();
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_FALSE(client->Synced());
  EXPECT_GE(client->connections(), 2u);  // refused, retried
  source_.SetReady(true);
  EXPECT_TRUE(client->WaitUntil([](const AdsClient& c) { return c.Synced(); }, absl::Seconds(10)));
}

TEST_P(AdsTest, ClientKeepsStateWhileServerIsAwayAndResyncs) {
  source_.Set(kType, {{"a", "1"}, {"b", "1"}});
  StartServer();
  std::atomic<int> updates{0};
  std::atomic<size_t> last_update_size{0};
  auto client = NewClient([&](const ResourceUpdate& update) {
    ++updates;
    last_update_size = update.updated.size();
    return absl::OkStatus();
  });
  client->Start();
  ASSERT_TRUE(client->WaitUntil([](const AdsClient& c) { return c.Synced(); }, absl::Seconds(10)));
  const int port = port_;
  StopServer();
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_THAT(Values(*client), ElementsAre(Pair("a", "a=1"), Pair("b", "b=1")));

  source_.Set(kType, {{"a", "1"}, {"b", "2"}});
  StartServer(port);
  ASSERT_TRUE(client->WaitUntil([](const AdsClient& c) { return Values(c)["b"] == "b=2"; },
                                absl::Seconds(10)));
  EXPECT_GE(client->connections(), 2u);
  if (GetParam()) {
    // The returning server sends only what changed while it was away.
    EXPECT_EQ(last_update_size, 1u);
  }
}

// A response to an old nonce is ignored (and counted): a late NACK of a
// superseded response must not mark the current one rejected.
//
// On a delta stream a stale nonce voids the request's ACK/NACK only: the
// subscription change it carries still applies (a client sends each change
// once; dropping it would lose the resource for good).
TEST_P(AdsTest, StaleNonceIsIgnoredAndCounted) {
  if (GetParam()) {
    DeltaStaleNonceKeepsSubscriptionChanges();
    return;
  }
  source_.Set(kType, {{"a", "1"}});
  StartServer();
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials());
  auto stub = envoy::service::discovery::v3::AggregatedDiscoveryService::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->StreamAggregatedResources(&context);
  envoy::service::discovery::v3::DiscoveryRequest request;
  request.set_type_url(kType);
  request.mutable_node()->set_id("raw");
  ASSERT_TRUE(stream->Write(request));
  envoy::service::discovery::v3::DiscoveryResponse first, second;
  ASSERT_TRUE(stream->Read(&first));
  source_.Set(kType, {{"a", "2"}});
  server_impl_->Push({kType});
  ASSERT_TRUE(stream->Read(&second));
  ASSERT_NE(first.nonce(), second.nonce());

  envoy::service::discovery::v3::DiscoveryRequest stale;
  stale.set_type_url(kType);
  stale.set_response_nonce(first.nonce());
  stale.mutable_error_detail()->set_message("late complaint about the first response");
  ASSERT_TRUE(stream->Write(stale));
  envoy::service::discovery::v3::DiscoveryRequest ack;
  ack.set_type_url(kType);
  ack.set_version_info(second.version_info());
  ack.set_response_nonce(second.nonce());
  ASSERT_TRUE(stream->Write(ack));

  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  TypeStatus status;
  while (absl::Now() < deadline) {
    std::vector<StreamStatus> streams = server_impl_->Streams();
    if (!streams.empty() && !streams[0].types.empty()) status = streams[0].types[0];
    if (status.acked_version == second.version_info()) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(status.acked_version, second.version_info());
  EXPECT_EQ(status.nacks, 0u);
  EXPECT_TRUE(status.nack_message.empty());
  EXPECT_THAT(metrics_.SerializeText(),
              ::testing::HasSubstr("xds_stale_nonces_total{type=\"test/Thing\"} 1"));
  context.TryCancel();
  stream->Finish().IgnoreError();
}

// A source whose Resources() can be held for one node, to catch a push
// mid-build for that node's stream.
class GatedSource : public testing::StaticSource {
 public:
  void Hold(const std::string& node_id) {
    absl::MutexLock lock(&gate_mu_);
    held_node_ = node_id;
  }
  void Release() {
    absl::MutexLock lock(&gate_mu_);
    held_node_.clear();
  }
  void WaitUntilSomeoneIsHeld() {
    absl::MutexLock lock(&gate_mu_);
    gate_mu_.Await(absl::Condition(&waiting_));
  }
  std::shared_ptr<const TypeResources> Resources(
      const std::string& type_url, const envoy::config::core::v3::Node& node) override {
    {
      absl::MutexLock lock(&gate_mu_);
      if (!held_node_.empty() && node.id() == held_node_) {
        waiting_ = true;
        gate_mu_.Await(absl::Condition(
            +[](std::string* held) { return held->empty(); }, &held_node_));
      }
    }
    return StaticSource::Resources(type_url, node);
  }

 private:
  absl::Mutex gate_mu_;
  std::string held_node_ ABSL_GUARDED_BY(gate_mu_);
  bool waiting_ ABSL_GUARDED_BY(gate_mu_) = false;
};

// While a push is building one stream's response, the server still takes
// new streams and serves them, and answers its status pages: the fan-out
// holds no server lock, and a status page waiting on that one stream does
// not hold one either.
TEST(AdsServerTest, APushInProgressBlocksNoConnectsOrStatus) {
  GatedSource source;
  source.Set(kType, {{"a", "1"}});
  MetricsRegistry metrics("test");
  AdsServer server_impl(&source, &metrics);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&server_impl);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto client = [&](const std::string& id) {
    AdsClientOptions options;
    options.server_address = "127.0.0.1:" + std::to_string(port);
    options.node.set_id(id);
    options.sotw_resource_name = testing::StaticSource::NameOf;
    auto c = std::make_unique<AdsClient>(options, nullptr);
    c->Subscribe(kType);
    c->Start();
    return c;
  };
  auto first = client("first");
  ASSERT_TRUE(first->WaitUntil([](const AdsClient& c) { return c.Synced(); }, absl::Seconds(10)));

  source.Set(kType, {{"a", "2"}});
  source.Hold("first");
  std::thread pusher([&] { server_impl.Push({kType}); });
  source.WaitUntilSomeoneIsHeld();  // the push is inside the first stream's build
  absl::Notification counted;
  size_t count = 0;
  std::thread counter([&] {
    count = server_impl.ConnectedStreams();
    counted.Notify();
  });
  // The status page reads every stream: it waits for the held one, and
  // must not keep others out while it does.
  absl::Notification listed;
  std::thread lister([&] {
    (void)server_impl.Streams();
    listed.Notify();
  });
  EXPECT_TRUE(counted.WaitForNotificationWithTimeout(absl::Seconds(10)));
  // A new client connects and gets its config while the push is held.
  auto second = client("second");
  EXPECT_TRUE(second->WaitUntil([](const AdsClient& c) { return Values(c)["a"] == "a=2"; },
                                absl::Seconds(10)));
  EXPECT_FALSE(listed.HasBeenNotified());  // the push really was held throughout
  source.Release();
  counter.join();
  lister.join();
  EXPECT_EQ(count, 1u);
  pusher.join();
  EXPECT_TRUE(first->WaitUntil([](const AdsClient& c) { return Values(c)["a"] == "a=2"; },
                               absl::Seconds(10)));
  first->Stop();
  second->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

// A server with the given limits, for tests that speak raw gRPC.
class LimitsTest : public ::testing::Test {
 protected:
  void Start(AdsServerOptions options) {
    server_impl_ = std::make_unique<AdsServer>(&source_, &metrics_, std::move(options));
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(server_impl_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                   grpc::InsecureChannelCredentials());
    stub_ = envoy::service::discovery::v3::AggregatedDiscoveryService::NewStub(channel_);
  }
  void TearDown() override {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    }
  }

  // Sends one SotW request and returns how the server ended the stream (or
  // OK with the first response, if it answered).
  grpc::Status SotwOnce(const envoy::service::discovery::v3::DiscoveryRequest& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    auto stream = stub_->StreamAggregatedResources(&context);
    stream->Write(request);
    envoy::service::discovery::v3::DiscoveryResponse response;
    if (stream->Read(&response)) {
      context.TryCancel();
      stream->Finish().IgnoreError();
      return grpc::Status::OK;
    }
    return stream->Finish();
  }

  testing::StaticSource source_;
  MetricsRegistry metrics_{"test"};
  std::unique_ptr<AdsServer> server_impl_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<envoy::service::discovery::v3::AggregatedDiscoveryService::Stub> stub_;
  int port_ = 0;
};

TEST_F(LimitsTest, UnknownTypeUrlIsRefusedAndKeepsNoState) {
  source_.Set(kType, {{"a", "1"}});
  source_.SetServedTypes({kType});
  Start({});
  envoy::service::discovery::v3::DiscoveryRequest request;
  request.set_type_url("type.googleapis.com/made.up.Type");
  request.mutable_node()->set_id("probe");
  grpc::Status status = SotwOnce(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "type URL \"type.googleapis.com/made.up.Type\" is not served here");
  // Delta too.
  grpc::ClientContext context;
  auto stream = stub_->DeltaAggregatedResources(&context);
  envoy::service::discovery::v3::DeltaDiscoveryRequest delta;
  delta.set_type_url(std::string(100000, 'x'));
  stream->Write(delta);
  envoy::service::discovery::v3::DeltaDiscoveryResponse response;
  EXPECT_FALSE(stream->Read(&response));
  grpc::Status delta_status = stream->Finish();
  EXPECT_EQ(delta_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(delta_status.error_message().size(), 300u);  // the client's text is cut
  // The known type still works, and no stream is left behind.
  request.set_type_url(kType);
  EXPECT_TRUE(SotwOnce(request).ok());
}

TEST_F(LimitsTest, TenThousandNamesAreRefusedWithTheLimit) {
  source_.Set(kType, {{"a", "1"}});
  Start({.max_names_per_type = 5000});
  envoy::service::discovery::v3::DiscoveryRequest request;
  request.set_type_url(kType);
  for (int i = 0; i < 10000; ++i) request.add_resource_names("name-" + std::to_string(i));
  grpc::Status status = SotwOnce(request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(),
            "10000 resource names for test/Thing exceed the limit of 5000 per stream");

  // Delta: subscribing in small steps reaches the same limit.
  grpc::ClientContext context;
  auto stream = stub_->DeltaAggregatedResources(&context);
  bool refused = false;
  for (int batch = 0; batch < 20 && !refused; ++batch) {
    envoy::service::discovery::v3::DeltaDiscoveryRequest delta;
    delta.set_type_url(kType);
    for (int i = 0; i < 500; ++i) {
      delta.add_resource_names_subscribe(absl::StrCat("n-", batch, "-", i));
    }
    refused = !stream->Write(delta);
  }
  envoy::service::discovery::v3::DeltaDiscoveryResponse response;
  while (stream->Read(&response)) {
  }
  grpc::Status delta_status = stream->Finish();
  EXPECT_EQ(delta_status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(delta_status.error_message(), ::testing::HasSubstr("exceed the limit of 5000"));
  // The refused streams are gone (gRPC reports them done a moment later).
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (server_impl_->ConnectedStreams() > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(server_impl_->ConnectedStreams(), 0u);
}

TEST_F(LimitsTest, StreamCountAndConnectRateAreBounded) {
  source_.Set(kType, {{"a", "1"}});
  Start({.max_streams = 2, .new_streams_per_second = 1000});
  envoy::service::discovery::v3::DiscoveryRequest request;
  request.set_type_url(kType);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<
      std::unique_ptr<grpc::ClientReaderWriter<envoy::service::discovery::v3::DiscoveryRequest,
                                               envoy::service::discovery::v3::DiscoveryResponse>>>
      streams;
  for (int i = 0; i < 2; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    streams.push_back(stub_->StreamAggregatedResources(contexts.back().get()));
    streams.back()->Write(request);
    envoy::service::discovery::v3::DiscoveryResponse response;
    ASSERT_TRUE(streams.back()->Read(&response));
  }
  grpc::Status third = SotwOnce(request);
  EXPECT_EQ(third.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(third.error_message(), "too many streams: the limit is 2");
  for (size_t i = 0; i < streams.size(); ++i) {
    contexts[i]->TryCancel();
    streams[i]->Finish().IgnoreError();
  }
}

TEST_F(LimitsTest, AReconnectStormIsToldToRetry) {
  source_.Set(kType, {{"a", "1"}});
  Start({.new_streams_per_second = 3});
  envoy::service::discovery::v3::DiscoveryRequest request;
  request.set_type_url(kType);
  int admitted = 0;
  grpc::Status refused;
  for (int i = 0; i < 20; ++i) {
    grpc::Status status = SotwOnce(request);
    if (status.ok()) {
      ++admitted;
    } else {
      refused = status;
    }
  }
  EXPECT_LT(admitted, 20);
  EXPECT_GE(admitted, 3);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("retry later"));
}

// A wildcard subscriber holds whatever the server has, past the names limit
// (Galley's Pilot holds every WorkloadEntry of the mesh).
TEST_F(LimitsTest, AWildcardSubscriberMayHoldMoreThanTheNamesLimit) {
  std::map<std::string, std::string> many;
  for (int i = 0; i < 50; ++i) many["r" + std::to_string(i)] = "1";
  source_.Set(kType, many);
  Start({.max_names_per_type = 10});
  for (bool delta : {false, true}) {
    AdsClientOptions options;
    options.server_address = "127.0.0.1:" + std::to_string(port_);
    options.delta = delta;
    options.sotw_resource_name = testing::StaticSource::NameOf;
    AdsClient client(options, nullptr);
    client.Subscribe(kType);
    client.Start();
    EXPECT_TRUE(client.WaitUntil([](const AdsClient& c) { return Values(c).size() == 50; },
                                 absl::Seconds(10)))
        << (delta ? "delta" : "sotw");
    client.Stop();
  }
}

// A state-of-the-world client that names its resources is answered only
// when one of them changes, not when any resource of the type does.
TEST_F(LimitsTest, ANamedSubscriberIsNotWokenByOtherResources) {
  source_.Set(kType, {{"mine", "1"}, {"other", "1"}});
  Start({});
  grpc::ClientContext context;
  auto stream = stub_->StreamAggregatedResources(&context);
  envoy::service::discovery::v3::DiscoveryRequest request;
  request.set_type_url(kType);
  request.add_resource_names("mine");
  ASSERT_TRUE(stream->Write(request));
  envoy::service::discovery::v3::DiscoveryResponse first, second;
  ASSERT_TRUE(stream->Read(&first));
  ASSERT_EQ(first.resources_size(), 1);
  request.set_version_info(first.version_info());
  request.set_response_nonce(first.nonce());
  ASSERT_TRUE(stream->Write(request));  // ACK
  source_.Set(kType, {{"mine", "1"}, {"other", "2"}});
  server_impl_->Push({kType});
  source_.Set(kType, {{"mine", "2"}, {"other", "2"}});
  server_impl_->Push({kType});
  ASSERT_TRUE(stream->Read(&second));
  google::protobuf::StringValue value;
  ASSERT_TRUE(second.resources(0).UnpackTo(&value));
  EXPECT_EQ(value.value(), "mine=2");  // the first push sent nothing
  std::vector<StreamStatus> streams = server_impl_->Streams();
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(streams[0].types[0].responses, 2u);
  context.TryCancel();
  stream->Finish().IgnoreError();
}

// A client that never reads holds one response in flight, however many
// pushes happen: nothing queues up behind it.
TEST_F(LimitsTest, AStreamThatNeverReadsHoldsOneResponse) {
  const std::string big(256 << 10, 'x');
  source_.Set(kType, {{"a", big + "0"}});
  Start({});
  grpc::ClientContext context;
  auto stream = stub_->StreamAggregatedResources(&context);
  envoy::service::discovery::v3::DiscoveryRequest request;
  request.set_type_url(kType);
  request.mutable_node()->set_id("never-reads");
  ASSERT_TRUE(stream->Write(request));
  for (int i = 1; i <= 200; ++i) {  // 200 pushes of 256 KiB each: 50 MiB if queued
    source_.Set(kType, {{"a", big + std::to_string(i)}});
    server_impl_->Push({kType});
  }
  std::vector<StreamStatus> streams = server_impl_->Streams();
  ASSERT_EQ(streams.size(), 1u);
  ASSERT_EQ(streams[0].types.size(), 1u);
  // What gRPC's flow control let through before the client stopped reading
  // (a few windows), never one per push.
  EXPECT_LT(streams[0].types[0].responses, 40u);
  context.TryCancel();
  stream->Finish().IgnoreError();
}

INSTANTIATE_TEST_SUITE_P(Protocols, AdsTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Delta" : "StateOfTheWorld"; });

}  // namespace
}  // namespace keel::xds
