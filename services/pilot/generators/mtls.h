// Mutual TLS for proxyless gRPC: which mode a workload's port is in
// (PeerAuthentication, as Istio resolves it) and the TLS contexts that make
// gRPC's xDS credentials use keel-agent's certificates.
//
// gRPC's servers cannot tell TLS from plaintext on one port (their filter
// chain match has no transport protocol), so PERMISSIVE serves plaintext,
// as Istio's proxyless gRPC support does; STRICT requires a client
// certificate. Clients use TLS when a DestinationRule says ISTIO_MUTUAL.
#ifndef KEEL_SERVICES_PILOT_GENERATORS_MTLS_H_
#define KEEL_SERVICES_PILOT_GENERATORS_MTLS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"
#include "services/pilot/push/push_context.h"

namespace keel::pilot {

enum class MtlsMode { kDisable, kPermissive, kStrict };

// PeerMtlsMode is the mode of `port` on a workload in `workload_namespace`
// with `labels`. PeerAuthentication first: the oldest matching workload
// policy in its namespace (its port-level setting first), else the
// namespace's policy, else the mesh's (root namespace), each UNSET
// inheriting from the next. When no PeerAuthentication applies, and the
// workload serves `service` on `service_port`, Istio 1.4's Policy and
// MeshPolicy decide (AlphaMtlsMode). PERMISSIVE when nothing says.
MtlsMode PeerMtlsMode(const PushContext& context, const std::string& workload_namespace,
                      const std::map<std::string, std::string>& labels, uint32_t port,
                      const ServiceInfo* service = nullptr,
                      const ServicePort* service_port = nullptr);

// AlphaMtlsMode resolves Istio 1.4's authentication policies for a service
// port, most specific first: a Policy in the service's namespace targeting
// its short name and this port (by number or name), then its short name,
// then the namespace's "default" Policy, then the MeshPolicy. The policy's
// `peers: [{mtls: {}}]` is STRICT (PERMISSIVE with mode PERMISSIVE or
// allowTls); a policy without an mtls peer is DISABLE. Nothing if no
// policy applies.
std::optional<MtlsMode> AlphaMtlsMode(const PushContext& context, const ServiceInfo& service,
                                      const ServicePort& port);

// The name gRPC requires on the TLS transport socket.
inline constexpr char kTlsTransportSocket[] = "envoy.transport_sockets.tls";

// InboundTlsContext: the server presents the workload certificate and
// requires (and verifies) the client's.
envoy::extensions::transport_sockets::tls::v3::DownstreamTlsContext InboundTlsContext();

// OutboundTlsContext is the client side for `service` under `policy`, or
// nothing unless the policy's TLS mode is ISTIO_MUTUAL. The server must
// present one of the subject alt names of the DestinationRule, else of the
// ServiceEntry, else any identity of the mesh's trust domain.
std::optional<envoy::extensions::transport_sockets::tls::v3::UpstreamTlsContext>
OutboundTlsContext(const PushContext& context, const ServiceInfo& service,
                   const istio::networking::v1alpha3::TrafficPolicy& policy);

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_GENERATORS_MTLS_H_
