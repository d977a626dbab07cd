#include "libs/common/service_host.h"

#include "prometheus/counter.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "libs/common/files.h"
#include "libs/common/net.h"
#include "spdlog/spdlog.h"

namespace keel {

// One hosted service and what the host keeps for it.
struct ServiceHost::Hosted {
  Hosted(HostedService spec, HttpServer& monitoring, std::string debug_prefix)
      : spec(std::move(spec)), debug_pages(monitoring, std::move(debug_prefix)) {}

  HostedService spec;
  Readiness readiness;
  DebugPages debug_pages;
  std::unique_ptr<grpc::Server> grpc_server;
  std::unique_ptr<ServiceContext> context;
  uint16_t grpc_port = 0;
  uint16_t insecure_grpc_port = 0;
  bool started = false;
};

void DebugPages::Handle(const std::string& path, HttpHandler handler) {
  if (service_prefix_.empty() || !absl::StartsWith(path, "/debug/")) {
    server_.Handle(path, std::move(handler));
    return;
  }
  server_.Handle(absl::StrCat(service_prefix_, path.substr(6)), std::move(handler));
}

std::string PortsFileContents(uint16_t grpc_port, uint16_t monitoring_port) {
  return absl::StrCat("grpc_port=", grpc_port, "\nmonitoring_port=", monitoring_port, "\n");
}

ServiceHost::ServiceHost(const std::string& component, const ServiceHostOptions& options)
    : options_(options), metrics_(std::make_unique<MetricsRegistry>(component)) {}

absl::StatusOr<std::unique_ptr<ServiceHost>> ServiceHost::Start(Service& service,
                                                                const ServiceHostOptions& options) {
  return StartAll(service.name(),
                  {HostedService{.service = &service,
                                 .grpc_address = options.grpc_address,
                                 .grpc_credentials = options.grpc_credentials,
                                 .insecure_grpc_address = options.insecure_grpc_address}},
                  options);
}

std::string ServiceHost::ReadyzBody(bool& all_ready) const {
  all_ready = true;
  std::string reasons;
  for (const auto& hosted : hosted_) {
    if (hosted->readiness.IsReady()) continue;
    all_ready = false;
    // Alone, a service's reason is the whole answer; together, each says
    // who it is.
    absl::StrAppend(&reasons, "not ready: ",
                    hosted_.size() > 1 ? absl::StrCat(hosted->spec.service->name(), ": ") : "",
                    hosted->readiness.Reason(), "\n");
  }
  return all_ready ? "ready\n" : reasons;
}

absl::Status ServiceHost::StartGrpcServer(Hosted& hosted) {
  Service& service = *hosted.spec.service;
  const std::string& address = hosted.spec.grpc_address;
  const std::string label = hosted_.size() > 1 ? absl::StrCat(service.name(), " ") : "";
  // gRPC binds with SO_REUSEPORT by default, which would let a second
  // server share a busy port silently; a busy port must be an error.
  absl::Status can_listen = CheckCanListen(address);
  if (!can_listen.ok()) {
    return absl::Status(can_listen.code(),
                        absl::StrCat(label, "gRPC server: ", can_listen.message()));
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      hosted.spec.grpc_credentials != nullptr ? hosted.spec.grpc_credentials
                                              : service.GrpcServerCredentials();
  if (!credentials.ok()) return credentials.status();
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Keel's xDS and MCP clients ping every 10 s to find a hung server
  // (AdsClientOptions::keepalive_time); gRPC's server default would answer
  // pings more often than every 5 minutes without data with GOAWAY.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  int selected_port = 0;
  builder.AddListeningPort(GrpcListenAddress(address), *credentials, &selected_port);
  const std::string& insecure = hosted.spec.insecure_grpc_address;
  int insecure_port = 0;
  if (!insecure.empty()) {
    if (absl::Status free = CheckCanListen(insecure); !free.ok()) {
      return absl::Status(free.code(), absl::StrCat(label, "plaintext gRPC port: ", free.message()));
    }
    builder.AddListeningPort(GrpcListenAddress(insecure), grpc::InsecureServerCredentials(),
                             &insecure_port);
  }
  service.RegisterGrpcServices(builder, *metrics_);
  hosted.grpc_server = builder.BuildAndStart();
  if (hosted.grpc_server == nullptr || selected_port == 0 || (!insecure.empty() && insecure_port == 0)) {
    return absl::UnavailableError(absl::StrCat(label, "gRPC server: cannot listen on ", address,
                                               insecure.empty() ? "" : " and " + insecure));
  }
  hosted.grpc_port = static_cast<uint16_t>(selected_port);
  hosted.insecure_grpc_port = static_cast<uint16_t>(insecure_port);
  grpc::HealthCheckServiceInterface* health = hosted.grpc_server->GetHealthCheckService();
  hosted.readiness.OnChange([health](bool ready) { health->SetServingStatus(ready); });
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ServiceHost>> ServiceHost::StartAll(
    const std::string& component, std::vector<HostedService> services,
    const ServiceHostOptions& options) {
  if (services.empty()) return absl::InvalidArgumentError("no service to host");
  std::unique_ptr<ServiceHost> host(new ServiceHost(component, options));

  prometheus::Counter& accept_errors = prometheus::BuildCounter()
                                           .Name("keel_http_accept_errors_total")
                                           .Help("Connections the monitoring server failed to "
                                                 "accept (file descriptors ran out, say).")
                                           .Register(host->metrics_->registry())
                                           .Add({});
  absl::StatusOr<std::unique_ptr<HttpServer>> monitoring = HttpServer::Start(
      options.monitoring_address,
      HttpServerOptions{.loopback_only_prefixes = options.debug_remote
                                                      ? std::vector<std::string>{}
                                                      : std::vector<std::string>{"/debug/", "/console"},
                        .on_accept_error = [&accept_errors](const std::string&, absl::Duration) {
                          accept_errors.Increment();
                        }});
  if (!monitoring.ok()) {
    return absl::Status(monitoring.status().code(),
                        absl::StrCat("monitoring server: ", monitoring.status().message()));
  }
  host->monitoring_ = *std::move(monitoring);
  HttpServer& server = *host->monitoring_;
  const bool shared = services.size() > 1;
  for (HostedService& spec : services) {
    // The first service's pages keep their paths (istiod's /debug pages are
    // Pilot's); the others' move under their name.
    const std::string prefix =
        host->hosted_.empty() ? "" : absl::StrCat("/debug/", spec.service->name());
    host->hosted_.push_back(std::make_unique<Hosted>(std::move(spec), server, prefix));
  }

  MetricsRegistry* metrics = host->metrics_.get();
  ServiceHost* self = host.get();
  server.Handle("/metrics", [metrics](const HttpRequest&) {
    return HttpResponse{.content_type = "text/plain; version=0.0.4; charset=utf-8",
                        .body = metrics->SerializeText()};
  });
  server.Handle("/healthz", [](const HttpRequest&) { return HttpResponse{.body = "ok\n"}; });
  server.Handle("/readyz", [self](const HttpRequest&) {
    bool ready = false;
    std::string body = self->ReadyzBody(ready);
    return HttpResponse{.status = ready ? 200 : 503, .body = std::move(body)};
  });
  server.Handle("/debug", [&server](const HttpRequest&) {
    std::string body = "debug pages:\n";
    for (const std::string& path : server.Paths()) {
      if (path.rfind("/debug/", 0) == 0) absl::StrAppend(&body, "  ", path, "\n");
    }
    return HttpResponse{.body = body};
  });

  std::string ports = "";
  uint16_t first_grpc_port = 0;
  for (auto& hosted : host->hosted_) {
    if (hosted->spec.grpc_address.empty()) continue;
    if (absl::Status started = host->StartGrpcServer(*hosted); !started.ok()) return started;
    if (first_grpc_port == 0) first_grpc_port = hosted->grpc_port;
    if (shared) {
      absl::StrAppend(&ports, hosted->spec.service->name(), "_grpc_port=", hosted->grpc_port, "\n");
    }
    if (hosted->insecure_grpc_port != 0) {
      absl::StrAppend(&ports, "insecure_grpc_port=", hosted->insecure_grpc_port, "\n");
    }
  }
  if (!options.ports_file.empty()) {
    absl::Status written = WriteFileAtomically(
        options.ports_file,
        absl::StrCat(ports, PortsFileContents(first_grpc_port, host->monitoring_->port())));
    if (!written.ok()) return written;
  }
  for (auto& hosted : host->hosted_) {
    hosted->context = std::make_unique<ServiceContext>(ServiceContext{
        .metrics = *host->metrics_,
        .readiness = hosted->readiness,
        .debug_pages = hosted->debug_pages,
        .grpc_port = hosted->grpc_port,
    });
    Service& service = *hosted->spec.service;
    absl::Status started = service.Start(*hosted->context);
    if (!started.ok()) {
      return shared ? absl::Status(started.code(), absl::StrCat(service.name(), ": ",
                                                               started.message()))
                    : started;
    }
    hosted->started = true;
    spdlog::info("{} started: grpc port {}, monitoring port {}", service.name(),
                 hosted->grpc_port, host->monitoring_->port());
  }
  return host;
}

ServiceHost::~ServiceHost() { Shutdown(); }

uint16_t ServiceHost::grpc_port() const { return hosted_.front()->grpc_port; }

Readiness& ServiceHost::readiness() { return hosted_.front()->readiness; }

void ServiceHost::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (auto& hosted : hosted_) hosted->readiness.SetNotReady("shutting down");
  // Every server stops taking calls and drains at once; then the services
  // stop, the last started first (it may depend on those before it).
  const auto deadline =
      std::chrono::system_clock::now() + absl::ToChronoMilliseconds(options_.drain_timeout);
  for (auto& hosted : hosted_) {
    if (hosted->grpc_server != nullptr) hosted->grpc_server->Shutdown(deadline);
  }
  for (auto& hosted : hosted_) {
    if (hosted->grpc_server != nullptr) hosted->grpc_server->Wait();
  }
  for (auto it = hosted_.rbegin(); it != hosted_.rend(); ++it) {
    if ((*it)->started) (*it)->spec.service->Stop();
  }
  if (monitoring_ != nullptr) monitoring_->Stop();
}

int RunServices(const std::string& component, std::vector<HostedService> services,
                const ServiceHostOptions& options, ShutdownSignal& shutdown) {
  absl::StatusOr<std::unique_ptr<ServiceHost>> host =
      ServiceHost::StartAll(component, std::move(services), options);
  if (!host.ok()) {
    spdlog::error("{}", std::string(host.status().message()));
    return 1;
  }
  shutdown.Wait();
  (*host)->Shutdown();
  spdlog::info("{} stopped cleanly", component);
  return 0;
}

int RunService(Service& service, const ServiceHostOptions& options, ShutdownSignal& shutdown) {
  return RunServices(service.name(),
                     {HostedService{.service = &service,
                                    .grpc_address = options.grpc_address,
                                    .grpc_credentials = options.grpc_credentials,
                                    .insecure_grpc_address = options.insecure_grpc_address}},
                     options, shutdown);
}

}  // namespace keel
