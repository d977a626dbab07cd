#include "libs/common/service_host.h"

#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/grpc_health.h"
#include "libs/common/http_client.h"
#include "libs/common/net.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

// A service that becomes ready only when the test says so.
class ManualService : public Service {
 public:
  explicit ManualService(std::string name = "manual") : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  absl::Status Start(ServiceContext& context) override {
    if (!start_error.ok()) return start_error;
    readiness = &context.readiness;
    context.debug_pages.Handle("/debug/manual", [this](const HttpRequest&) {
      return HttpResponse{.body = name_ + " debug page\n"};
    });
    return absl::OkStatus();
  }
  void Stop() override { stopped = true; }

  std::string name_;
  absl::Status start_error = absl::OkStatus();
  Readiness* readiness = nullptr;
  bool stopped = false;
};

std::string Loopback(uint16_t port) { return JoinHostPort("127.0.0.1", port); }

ServiceHostOptions LoopbackOptions() {
  return {.grpc_address = "127.0.0.1:0", .monitoring_address = "127.0.0.1:0"};
}

TEST(ServiceHostTest, NotReadyUntilTheServiceSaysSoOnBothSurfaces) {
  ManualService service;
  auto host = ServiceHost::Start(service, LoopbackOptions());
  ASSERT_TRUE(host.ok()) << host.status();
  const std::string monitoring = Loopback((*host)->monitoring_port());
  const std::string grpc = Loopback((*host)->grpc_port());

  auto readyz = HttpGet(monitoring, "/readyz");
  ASSERT_TRUE(readyz.ok());
  EXPECT_EQ(readyz->status, 503);
  EXPECT_THAT(readyz->body, HasSubstr("not ready: starting"));
  EXPECT_EQ(CheckGrpcHealth(grpc).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(HttpGet(monitoring, "/healthz")->status, 200);

  service.readiness->SetReady();
  EXPECT_EQ(HttpGet(monitoring, "/readyz")->status, 200);
  EXPECT_TRUE(CheckGrpcHealth(grpc).ok());

  auto debug = HttpGet(monitoring, "/debug");
  EXPECT_THAT(debug->body, HasSubstr("/debug/manual"));
  EXPECT_EQ(HttpGet(monitoring, "/debug/manual")->body, "manual debug page\n");
  auto metrics = HttpGet(monitoring, "/metrics");
  EXPECT_THAT(metrics->body, HasSubstr("keel_build_info{"));
  EXPECT_THAT(metrics->body, HasSubstr("component=\"manual\""));
}

TEST(ServiceHostTest, ShutdownStopsServiceAndServers) {
  ManualService service;
  auto host = ServiceHost::Start(service, LoopbackOptions());
  ASSERT_TRUE(host.ok());
  service.readiness->SetReady();
  const std::string monitoring = Loopback((*host)->monitoring_port());
  const std::string grpc = Loopback((*host)->grpc_port());
  (*host)->Shutdown();
  EXPECT_TRUE(service.stopped);
  EXPECT_FALSE(HttpGet(monitoring, "/healthz", absl::Seconds(1)).ok());
  EXPECT_FALSE(CheckGrpcHealth(grpc, "", absl::Milliseconds(500)).ok());
}

TEST(ServiceHostTest, BusyGrpcPortIsAClearError) {
  ManualService first_service;
  auto first = ServiceHost::Start(first_service, LoopbackOptions());
  ASSERT_TRUE(first.ok());
  ManualService second_service;
  ServiceHostOptions options = LoopbackOptions();
  options.grpc_address = Loopback((*first)->grpc_port());
  auto second = ServiceHost::Start(second_service, options);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("gRPC server: cannot listen on"));
  EXPECT_THAT(second.status().message(), HasSubstr("Address already in use"));
}

TEST(ServiceHostTest, BusyMonitoringPortIsAClearError) {
  ManualService first_service;
  auto first = ServiceHost::Start(first_service, LoopbackOptions());
  ASSERT_TRUE(first.ok());
  ManualService second_service;
  ServiceHostOptions options = LoopbackOptions();
  options.monitoring_address = Loopback((*first)->monitoring_port());
  auto second = ServiceHost::Start(second_service, options);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("monitoring server: cannot listen on"));
}

TEST(ServiceHostTest, StartErrorIsReturnedAndStopIsNotCalled) {
  ManualService service;
  service.start_error = absl::InvalidArgumentError("bad config dir");
  auto host = ServiceHost::Start(service, LoopbackOptions());
  ASSERT_FALSE(host.ok());
  EXPECT_EQ(host.status().message(), "bad config dir");
  EXPECT_FALSE(service.stopped);
}

// The one-process mode: services side by side share the monitoring port,
// which is ready only when all are; each keeps its own gRPC server.
TEST(ServiceHostTest, SeveralServicesShareOneMonitoringServer) {
  ManualService pilot("pilot"), galley("galley");
  const std::string ports_file = ::testing::TempDir() + "/several.ports";
  auto host = ServiceHost::StartAll(
      "keel",
      {{.service = &pilot, .grpc_address = "127.0.0.1:0"},
       {.service = &galley, .grpc_address = "127.0.0.1:0"}},
      {.monitoring_address = "127.0.0.1:0", .ports_file = ports_file});
  ASSERT_TRUE(host.ok()) << host.status();
  const std::string monitoring = Loopback((*host)->monitoring_port());

  pilot.readiness->SetReady();
  auto readyz = HttpGet(monitoring, "/readyz");
  EXPECT_EQ(readyz->status, 503);
  EXPECT_EQ(readyz->body, "not ready: galley: starting\n");
  galley.readiness->SetReady();
  EXPECT_EQ(HttpGet(monitoring, "/readyz")->status, 200);

  // The first service's pages keep their path; the others move under their name.
  EXPECT_EQ(HttpGet(monitoring, "/debug/manual")->body, "pilot debug page\n");
  EXPECT_EQ(HttpGet(monitoring, "/debug/galley/manual")->body, "galley debug page\n");
  EXPECT_THAT(HttpGet(monitoring, "/metrics")->body, HasSubstr("component=\"keel\""));

  std::ifstream in(ports_file);
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(contents, HasSubstr(absl::StrCat("pilot_grpc_port=", (*host)->grpc_port(), "\n")));
  EXPECT_THAT(contents, HasSubstr(absl::StrCat("grpc_port=", (*host)->grpc_port(), "\n")));
  EXPECT_THAT(contents, HasSubstr("galley_grpc_port="));
  (*host)->Shutdown();
  EXPECT_TRUE(pilot.stopped);
  EXPECT_TRUE(galley.stopped);
}

TEST(RunServiceTest, ReturnsZeroAfterShutdownIsTriggered) {
  ShutdownSignal shutdown;
  ManualService service;
  shutdown.Trigger();
  EXPECT_EQ(RunService(service, LoopbackOptions(), shutdown), 0);
  EXPECT_TRUE(service.stopped);
}

}  // namespace
}  // namespace keel
