#include "libs/common/service_host.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "libs/common/files.h"
#include "libs/common/net.h"
#include "spdlog/spdlog.h"

namespace keel {
namespace {

void InstallMonitoringHandlers(HttpServer& server, MetricsRegistry& metrics, Readiness& readiness) {
  server.Handle("/metrics", [&metrics](const HttpRequest&) {
    return HttpResponse{.content_type = "text/plain; version=0.0.4; charset=utf-8",
                        .body = metrics.SerializeText()};
  });
  server.Handle("/healthz", [](const HttpRequest&) { return HttpResponse{.body = "ok\n"}; });
  server.Handle("/readyz", [&readiness](const HttpRequest&) {
    if (readiness.IsReady()) return HttpResponse{.body = "ready\n"};
    return HttpResponse{.status = 503,
                        .body = absl::StrCat("not ready: ", readiness.Reason(), "\n")};
  });
  server.Handle("/debug", [&server](const HttpRequest&) {
    std::string body = "debug pages:\n";
    for (const std::string& path : server.Paths()) {
      if (path.rfind("/debug/", 0) == 0) absl::StrAppend(&body, "  ", path, "\n");
    }
    return HttpResponse{.body = body};
  });
}

}  // namespace

std::string PortsFileContents(uint16_t grpc_port, uint16_t monitoring_port) {
  return absl::StrCat("grpc_port=", grpc_port, "\nmonitoring_port=", monitoring_port, "\n");
}

ServiceHost::ServiceHost(Service& service, const ServiceHostOptions& options)
    : service_(service),
      options_(options),
      metrics_(std::make_unique<MetricsRegistry>(service.name())),
      readiness_(std::make_unique<Readiness>()) {}

absl::StatusOr<std::unique_ptr<ServiceHost>> ServiceHost::Start(Service& service,
                                                                const ServiceHostOptions& options) {
  std::unique_ptr<ServiceHost> host(new ServiceHost(service, options));

  absl::StatusOr<std::unique_ptr<HttpServer>> monitoring = HttpServer::Start(
      options.monitoring_address,
      HttpServerOptions{.loopback_only_prefixes = options.debug_remote
                                                      ? std::vector<std::string>{}
                                                      : std::vector<std::string>{"/debug/"}});
  if (!monitoring.ok()) {
    return absl::Status(monitoring.status().code(),
                        absl::StrCat("monitoring server: ", monitoring.status().message()));
  }
  host->monitoring_ = *std::move(monitoring);
  InstallMonitoringHandlers(*host->monitoring_, *host->metrics_, *host->readiness_);

  if (!options.grpc_address.empty()) {
    // gRPC binds with SO_REUSEPORT by default, which would let a second
    // server share a busy port silently; a busy port must be an error.
    absl::Status can_listen = CheckCanListen(options.grpc_address);
    if (!can_listen.ok()) {
      return absl::Status(can_listen.code(), absl::StrCat("gRPC server: ", can_listen.message()));
    }
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        options.grpc_credentials != nullptr ? options.grpc_credentials
                                            : service.GrpcServerCredentials();
    if (!credentials.ok()) return credentials.status();
    grpc::ServerBuilder builder;
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    int selected_port = 0;
    builder.AddListeningPort(GrpcListenAddress(options.grpc_address), *credentials,
                             &selected_port);
    service.RegisterGrpcServices(builder, *host->metrics_);
    host->grpc_server_ = builder.BuildAndStart();
    if (host->grpc_server_ == nullptr || selected_port == 0) {
      return absl::UnavailableError(
          absl::StrCat("gRPC server: cannot listen on ", options.grpc_address));
    }
    host->grpc_port_ = static_cast<uint16_t>(selected_port);
    grpc::HealthCheckServiceInterface* health = host->grpc_server_->GetHealthCheckService();
    host->readiness_->OnChange([health](bool ready) { health->SetServingStatus(ready); });
  }

  host->context_ = std::make_unique<ServiceContext>(ServiceContext{
      .metrics = *host->metrics_,
      .readiness = *host->readiness_,
      .monitoring = *host->monitoring_,
      .grpc_port = host->grpc_port_,
  });
  if (!options.ports_file.empty()) {
    absl::Status written = WriteFileAtomically(
        options.ports_file, absl::StrCat("grpc_port=", host->grpc_port_,
                                         "\nmonitoring_port=", host->monitoring_->port(), "\n"));
    if (!written.ok()) return written;
  }
  absl::Status started = service.Start(*host->context_);
  if (!started.ok()) return started;
  host->started_service_ = true;
  spdlog::info("{} started: grpc port {}, monitoring port {}", service.name(), host->grpc_port_,
               host->monitoring_->port());
  return host;
}

ServiceHost::~ServiceHost() { Shutdown(); }

void ServiceHost::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  readiness_->SetNotReady("shutting down");
  if (grpc_server_ != nullptr) {
    grpc_server_->Shutdown(std::chrono::system_clock::now() +
                           absl::ToChronoMilliseconds(options_.drain_timeout));
    grpc_server_->Wait();
  }
  if (started_service_) service_.Stop();
  if (monitoring_ != nullptr) monitoring_->Stop();
}

int RunService(Service& service, const ServiceHostOptions& options, ShutdownSignal& shutdown) {
  absl::StatusOr<std::unique_ptr<ServiceHost>> host = ServiceHost::Start(service, options);
  if (!host.ok()) {
    spdlog::error("{}", std::string(host.status().message()));
    return 1;
  }
  shutdown.Wait();
  (*host)->Shutdown();
  spdlog::info("{} stopped cleanly", service.name());
  return 0;
}

}  // namespace keel
