// echo_server: answers keel.testing.Echo with its version, for tests and the
// demo. With --xds it is an xDS-enabled server (grpc::XdsServerBuilder): it
// takes its listener, filter chains and RBAC policy from Pilot.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/xds_server_builder.h"
#include "integration/apps/mixer_setup.h"
#include "libs/common/binary.h"
#include "proto/keel/testing/echo.grpc.pb.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, address, "127.0.0.1:17071", "host:port to serve on.");
ABSL_FLAG(std::string, app_version, "v1", "Version reported in every answer (v1, v2, ...).");
ABSL_FLAG(bool, xds, false, "Serve as an xDS-enabled server (needs GRPC_XDS_BOOTSTRAP).");

namespace {

class EchoService final : public keel::testing::Echo::Service {
 public:
  EchoService(std::string version, std::string address)
      : version_(std::move(version)), address_(std::move(address)) {}

  grpc::Status Echo(grpc::ServerContext* context, const keel::testing::EchoRequest* request,
                    keel::testing::EchoResponse* response) override {
    // Mixer's answer (OK without --mixer_address): a refused call is not served.
    if (absl::Status allowed = keel::mixerclient::InboundCheckStatus(context); !allowed.ok()) {
      return grpc::Status(static_cast<grpc::StatusCode>(allowed.code()),
                          std::string(allowed.message()));
    }
    response->set_message(request->message());
    response->set_version(version_);
    absl::MutexLock lock(&mu_);
    response->set_server(address_);
    return grpc::Status::OK;
  }

  // The address once the port is known (port 0 picks one).
  void set_address(std::string address) {
    absl::MutexLock lock(&mu_);
    address_ = std::move(address);
  }

  grpc::Status Admin(grpc::ServerContext* context, const keel::testing::EchoRequest* request,
                     keel::testing::EchoResponse* response) override {
    return Echo(context, request, response);
  }

 private:
  std::string version_;
  absl::Mutex mu_;
  std::string address_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  keel::InitBinaryOrExit(argc, argv, "echo_server", "A gRPC echo server that reports its version.");
  const std::string address = absl::GetFlag(FLAGS_address);
  EchoService service(absl::GetFlag(FLAGS_app_version), address);
  // With --mixer_address every call is checked, then reported (as the destination).
  absl::StatusOr<std::shared_ptr<keel::mixerclient::MixerClient>> mixer =
      keel::testing::MixerClientFromFlags();
  if (!mixer.ok()) {
    spdlog::error("{}", std::string(mixer.status().message()));
    return 2;
  }
  auto use_mixer = [&](grpc::ServerBuilder& builder) {
    if (*mixer == nullptr) return;
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
    factories.push_back(
        keel::mixerclient::NewServerInterceptorFactory(*mixer, keel::testing::WorkloadFromFlags()));
    builder.experimental().SetInterceptorCreators(std::move(factories));
  };
  std::unique_ptr<grpc::Server> server;
  int selected_port = 0;
  if (absl::GetFlag(FLAGS_xds)) {
    grpc::XdsServerBuilder builder;
    builder.AddListeningPort(address,
                             grpc::XdsServerCredentials(grpc::InsecureServerCredentials()));
    builder.RegisterService(&service);
    use_mixer(builder);
    server = builder.BuildAndStart();
  } else {
    grpc::ServerBuilder builder;
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &selected_port);
    builder.RegisterService(&service);
    use_mixer(builder);
    server = builder.BuildAndStart();
  }
  if (server == nullptr) {
    spdlog::error("cannot serve on {}", address);
    return 1;
  }
  std::string serving = address;
  if (selected_port != 0) {
    // Port 0: the kernel picked one; say which (--ports_file for launchers).
    serving = absl::StrCat(address.substr(0, address.rfind(':')), ":", selected_port);
    service.set_address(serving);
    absl::Status written = keel::WritePortsFileFromFlags(static_cast<uint16_t>(selected_port));
    if (!written.ok()) {
      spdlog::error("{}", std::string(written.message()));
      return 1;
    }
  }
  spdlog::info("echo {} serving on {}{}", absl::GetFlag(FLAGS_app_version), serving,
               absl::GetFlag(FLAGS_xds) ? " (xDS-enabled)" : "");
  shutdown.Wait();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  if (*mixer != nullptr) (*mixer)->Flush();
  return 0;
}
