// ServiceHost runs one Keel service: its gRPC server (with the gRPC health
// and reflection services), its monitoring HTTP server (/metrics, /healthz,
// /readyz, /debug/...) and graceful shutdown.
//
// A service is a library implementing Service; its main.cc only parses flags
// and calls RunService. Nothing here is global to the process, so an
// all-in-one binary can host several services side by side.
#ifndef KEEL_LIBS_COMMON_SERVICE_HOST_H_
#define KEEL_LIBS_COMMON_SERVICE_HOST_H_

#include <cstdint>
#include <memory>
#include <string>

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

// What a service gets from its host once the servers listen.
struct ServiceContext {
  MetricsRegistry& metrics;
  Readiness& readiness;
  HttpServer& monitoring;  // register /debug/... pages here
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
  // Serve /debug/* to remote clients too (by default: loopback only, even
  // when the port is exposed).
  bool debug_remote = false;
  // When set, the ports the servers got are written here once both listen
  // (see WritePortsFile), so a launcher can pass port 0 and learn the port.
  std::string ports_file;
  // How long in-flight RPCs may run on after shutdown begins.
  absl::Duration drain_timeout = absl::Seconds(5);
  // When set, the gRPC server uses these (e.g. mTLS from --tls_cert_dir)
  // instead of the service's own GrpcServerCredentials().
  std::shared_ptr<grpc::ServerCredentials> grpc_credentials;
};

// PortsFileContents is what --ports_file holds: "grpc_port=N\nmonitoring_port=N\n".
std::string PortsFileContents(uint16_t grpc_port, uint16_t monitoring_port);

class ServiceHost {
 public:
  // Start binds both servers, starts them and then the service. Returns
  // Unavailable naming the address and the OS's reason when a port is busy.
  static absl::StatusOr<std::unique_ptr<ServiceHost>> Start(Service& service,
                                                            const ServiceHostOptions& options);

  // Shuts down if Shutdown() was not called.
  ~ServiceHost();

  // Shutdown marks the service not ready, stops accepting RPCs, waits up to
  // the drain timeout for in-flight ones, stops the service and then the
  // monitoring server. Safe to call more than once.
  void Shutdown();

  uint16_t grpc_port() const { return grpc_port_; }
  uint16_t monitoring_port() const { return monitoring_->port(); }
  MetricsRegistry& metrics() { return *metrics_; }
  Readiness& readiness() { return *readiness_; }

 private:
  ServiceHost(Service& service, const ServiceHostOptions& options);

  Service& service_;
  ServiceHostOptions options_;
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<Readiness> readiness_;
  std::unique_ptr<HttpServer> monitoring_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<ServiceContext> context_;
  uint16_t grpc_port_ = 0;
  bool started_service_ = false;
  bool shut_down_ = false;
};

// RunService hosts `service` until `shutdown` fires, then shuts it down.
// Returns the process exit status: 0 after a clean shutdown, 1 when the
// service could not start (the reason is logged).
int RunService(Service& service, const ServiceHostOptions& options, ShutdownSignal& shutdown);

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_SERVICE_HOST_H_
