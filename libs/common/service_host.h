// ServiceHost runs Keel services: each one's gRPC server (with the gRPC
// health and reflection services), one monitoring HTTP server (/metrics,
// /healthz, /readyz, /debug/...) and graceful shutdown.
//
// A service is a library implementing Service; its main.cc only parses flags
// and calls RunService. Nothing here is global to the process, so the
// one-process binary (`keel`, as Istio's istiod) hosts Galley, Pilot,
// Citadel and Mixer side by side with StartAll.
#ifndef KEEL_LIBS_COMMON_SERVICE_HOST_H_
#define KEEL_LIBS_COMMON_SERVICE_HOST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "libs/common/http_server.h"
#include "libs/common/metrics.h"
#include "libs/common/readiness.h"
#include "libs/common/shutdown.h"

namespace keel {

// DebugPages registers a service's /debug/... pages on its host's monitoring
// server: at their own path for the process's first (or only) service, under
// /debug/<service>/... for the others (Galley and Pilot both have a
// /debug/configz).
class DebugPages {
 public:
  DebugPages(HttpServer& server, std::string service_prefix)
      : server_(server), service_prefix_(std::move(service_prefix)) {}

  // Handle serves `path` ("/debug/name") with `handler`.
  void Handle(const std::string& path, HttpHandler handler);

 private:
  HttpServer& server_;
  std::string service_prefix_;  // "" or "/debug/<service>"
};

// What a service gets from its host once the servers listen.
struct ServiceContext {
  MetricsRegistry& metrics;
  Readiness& readiness;
  DebugPages& debug_pages;
  uint16_t grpc_port = 0;  // 0 when the service has no gRPC server
};

// Service is the contract between a Keel service and its host.
class Service {
 public:
  virtual ~Service() = default;

  // name is the component name used in logs and metrics, e.g. "pilot".
  virtual std::string name() const = 0;

  // GrpcServerCredentials says how the gRPC server authenticates itself
  // (and its clients). Called once, before RegisterGrpcServices; an error
  // stops the host with exit status 1. Default: plaintext.
  virtual absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> GrpcServerCredentials() {
    return grpc::InsecureServerCredentials();
  }

  // RegisterGrpcServices adds the service's gRPC services to `builder`.
  // Called once, before the gRPC server starts, with the registry the
  // service's metrics go to. Services it registers must outlive the host's
  // gRPC server.
  virtual void RegisterGrpcServices(grpc::ServerBuilder& builder, MetricsRegistry& metrics) {}

  // Start begins background work. It is called once both servers listen and
  // must return promptly; the service calls context.readiness.SetReady() once
  // it holds its full state. An error stops the host with exit status 1.
  virtual absl::Status Start(ServiceContext& context) = 0;

  // Stop ends background work. Called after the gRPC server has drained.
  virtual void Stop() {}
};

struct ServiceHostOptions {
  // "host:port" of the gRPC server, or "" for a service without one.
  std::string grpc_address;
  // "host:port" of the monitoring HTTP server. Loopback unless exposed
  // deliberately (the Helm chart does, for probes and Prometheus).
  std::string monitoring_address = "127.0.0.1:15014";
  // Serve /debug/* and the web console (/console) to remote clients too (by
  // default: loopback only, even when the port is exposed).
  bool debug_remote = false;
  // When set, the ports the servers got are written here once both listen
  // (see WritePortsFile), so a launcher can pass port 0 and learn the port.
  std::string ports_file;
  // How long in-flight RPCs may run on after shutdown begins.
  absl::Duration drain_timeout = absl::Seconds(5);
  // When set, the gRPC server uses these (e.g. mTLS from --tls_cert_dir)
  // instead of the service's own GrpcServerCredentials().
  std::shared_ptr<grpc::ServerCredentials> grpc_credentials;
  // When set, the same gRPC server also listens here in plaintext (a port a
  // client that cannot do TLS needs; its flag says it is insecure).
  std::string insecure_grpc_address;
};

// One of several services in a process, and where its gRPC server listens.
struct HostedService {
  Service* service = nullptr;
  std::string grpc_address;  // "" for none
  // null: the service's own GrpcServerCredentials().
  std::shared_ptr<grpc::ServerCredentials> grpc_credentials;
  // Also listen here in plaintext ("" for no); its port goes to the ports
  // file as insecure_grpc_port.
  std::string insecure_grpc_address;
};

// PortsFileContents is what --ports_file holds: "grpc_port=N\nmonitoring_port=N\n".
std::string PortsFileContents(uint16_t grpc_port, uint16_t monitoring_port);

class ServiceHost {
 public:
  // Start binds both servers, starts them and then the service. Returns
  // Unavailable naming the address and the OS's reason when a port is busy.
  static absl::StatusOr<std::unique_ptr<ServiceHost>> Start(Service& service,
                                                            const ServiceHostOptions& options);

  // StartAll hosts several services in one process, started in order (a
  // service may depend on one before it) and stopped in reverse. They share
  // one metrics registry labelled `component`, and one monitoring server
  // whose /readyz is ready when all of them are; the first service's debug
  // pages keep their paths, the others' are under /debug/<service>/. The options' gRPC address
  // and credentials are unused: each HostedService has its own. The ports
  // file has "<service>_grpc_port=N" per service; its "grpc_port" is the
  // first service's with a gRPC server.
  static absl::StatusOr<std::unique_ptr<ServiceHost>> StartAll(
      const std::string& component, std::vector<HostedService> services,
      const ServiceHostOptions& options);

  // Shuts down if Shutdown() was not called.
  ~ServiceHost();

  // Shutdown marks the service not ready, stops accepting RPCs, waits up to
  // the drain timeout for in-flight ones, stops the service and then the
  // monitoring server. Safe to call more than once.
  void Shutdown();

  // The first service's gRPC port (0 without one).
  uint16_t grpc_port() const;
  uint16_t monitoring_port() const { return monitoring_->port(); }
  MetricsRegistry& metrics() { return *metrics_; }
  // The first service's readiness.
  Readiness& readiness();

 private:
  struct Hosted;

  ServiceHost(const std::string& component, const ServiceHostOptions& options);
  // Builds and starts `hosted`'s gRPC server (if it has an address).
  absl::Status StartGrpcServer(Hosted& hosted);
  std::string ReadyzBody(bool& all_ready) const;

  ServiceHostOptions options_;
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<HttpServer> monitoring_;
  std::vector<std::unique_ptr<Hosted>> hosted_;
  bool shut_down_ = false;
};

// RunService hosts `service` until `shutdown` fires, then shuts it down.
// Returns the process exit status: 0 after a clean shutdown, 1 when the
// service could not start (the reason is logged).
int RunService(Service& service, const ServiceHostOptions& options, ShutdownSignal& shutdown);

// RunServices is RunService for several services in one process (StartAll).
int RunServices(const std::string& component, std::vector<HostedService> services,
                const ServiceHostOptions& options, ShutdownSignal& shutdown);

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_SERVICE_HOST_H_
