// gRPC interceptors that put an application's calls through Mixer: on the
// server, each inbound call is checked before its handler runs and reported
// when it ends; on the client, each outbound call is reported.
//
//   auto mixer = std::make_shared<MixerClient>(...);
//   std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> f;
//   f.push_back(NewServerInterceptorFactory(mixer, self));
//   builder.experimental().SetInterceptorCreators(std::move(f));
//   ...
//   // In a handler (gRPC C++ interceptors cannot stop a handler from running):
//   if (absl::Status allowed = InboundCheckStatus(context); !allowed.ok()) { ... refuse ... }
//
// Identity comes from the connection (the peer's mTLS certificate), never
// from request metadata: a client cannot claim another principal with a
// header, Istio's `x-istio-attributes` included.
#ifndef KEEL_LIBS_MIXERCLIENT_INTERCEPTORS_H_
#define KEEL_LIBS_MIXERCLIENT_INTERCEPTORS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/client_interceptor.h"
#include "grpcpp/support/server_interceptor.h"
#include "libs/mixer/attributes.h"
#include "libs/mixerclient/mixer_client.h"

namespace keel::mixerclient {

// The workload the application runs as: the destination of its inbound
// calls and the source of its outbound ones.
struct WorkloadInfo {
  std::string name;
  std::string namespace_name;
  std::string service_host;  // its service, e.g. echo.default.svc.cluster.local
  std::map<std::string, std::string> labels;
  std::string principal;  // its own identity, e.g. cluster.local/ns/default/sa/echo
};

// Server side: Check before the handler, Report after. A denied call ends
// with Mixer's status even when the handler does not look.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewServerInterceptorFactory(std::shared_ptr<MixerClient> mixer, WorkloadInfo self);

// InboundCheckStatus is what Mixer answered for the call of `context` (OK
// when the call was not checked).
absl::Status InboundCheckStatus(const grpc::ServerContextBase* context);

// Client side: Report every outbound call to `destination_service_host`.
std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
NewClientInterceptorFactory(std::shared_ptr<MixerClient> mixer, WorkloadInfo self,
                            std::string destination_service_host);

// The attributes of a call, as the interceptors build them (exposed for
// tests and for applications that call MixerClient themselves).
// `peer` is grpc's peer string ("ipv4:10.0.0.1:5000").
mixer::AttributeBag InboundAttributes(const WorkloadInfo& self, absl::string_view method,
                                      absl::string_view peer,
                                      const grpc::AuthContext* auth_context,
                                      const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

// Istio's attributes of a finished call: response.code (the HTTP status
// Envoy maps the gRPC status to), response.grpc_status, sizes, duration.
void AddResponseAttributes(const grpc::Status& status, int64_t request_bytes,
                           int64_t response_bytes, absl::Time start, absl::Time end,
                           mixer::AttributeBag& bag);

// TCP (Istio checks TCP services too): a server that is not gRPC checks
// each accepted connection with these attributes (context.protocol "tcp",
// source.ip, destination.port, and the peer's principal when the
// connection is mTLS: `peer_spiffe_id`, "" for plaintext), then reports it
// when it closes with AddTcpCloseAttributes.
mixer::AttributeBag TcpConnectionAttributes(const WorkloadInfo& self, absl::string_view peer_ip,
                                            int64_t destination_port,
                                            absl::string_view peer_spiffe_id);
void AddTcpCloseAttributes(int64_t received_bytes, int64_t sent_bytes, absl::Duration duration,
                           mixer::AttributeBag& bag);

}  // namespace keel::mixerclient

#endif  // KEEL_LIBS_MIXERCLIENT_INTERCEPTORS_H_
