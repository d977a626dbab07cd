#include "services/pilot/generators/mtls.h"

#include "absl/strings/str_cat.h"
#include "libs/xds/bootstrap.h"

namespace keel::pilot {
namespace {

namespace tls = envoy::extensions::transport_sockets::tls::v3;
using PeerMode = istio::security::v1beta1::PeerAuthentication::MutualTLS::Mode;
using istio::security::v1beta1::PeerAuthentication;

// Certificate names within keel-agent's provider instance, as Istio's.
constexpr char kWorkloadCertificate[] = "default";
constexpr char kRootCertificate[] = "ROOTCA";

tls::CommonTlsContext CommonContext() {
  tls::CommonTlsContext common;
  auto* identity = common.mutable_tls_certificate_provider_instance();
  identity->set_instance_name(xds::kCertificateProviderInstance);
  identity->set_certificate_name(kWorkloadCertificate);
  // The CA provider goes in the combined validation context's default
  // (some clients NACK the older validation_context_certificate_provider_instance).
  auto* roots = common.mutable_combined_validation_context()
                    ->mutable_default_validation_context()
                    ->mutable_ca_certificate_provider_instance();
  roots->set_instance_name(xds::kCertificateProviderInstance);
  roots->set_certificate_name(kRootCertificate);
  return common;
}

// The first policy's mode for `port` that is set, else UNSET.
PeerMode ModeOf(const PeerAuthentication& policy, uint32_t port) {
  if (auto it = policy.port_level_mtls().find(port); it != policy.port_level_mtls().end()) {
    if (it->second.mode() != PeerAuthentication::MutualTLS::UNSET) return it->second.mode();
  }
  return policy.mtls().mode();
}

}  // namespace

std::optional<MtlsMode> AlphaMtlsMode(const PushContext& context, const ServiceInfo& service,
                                      const ServicePort& port) {
  namespace authn = istio::authentication::v1alpha1;
  const std::string short_name = service.host.substr(0, service.host.find('.'));
  const authn::Policy* chosen = nullptr;
  int chosen_level = -1;
  auto consider = [&](const authn::Policy* policy, int level) {
    if (level > chosen_level) {
      chosen = policy;
      chosen_level = level;
    }
  };
  for (const auto& [resource, policy] : context.authentication_policies()) {
    if (resource->namespace_name != service.namespace_name) continue;
    if (policy->targets().empty()) {
      consider(policy, 1);
      continue;
    }
    for (const auto& target : policy->targets()) {
      if (target.name() != short_name) continue;
      if (target.ports().empty()) {
        consider(policy, 2);
        continue;
      }
      for (const auto& selector : target.ports()) {
        if ((selector.has_number() && selector.number() == port.number) ||
            (selector.has_name() && selector.name() == port.name)) {
          consider(policy, 3);
        }
      }
    }
  }
  if (chosen == nullptr && !context.mesh_policies().empty()) {
    chosen = context.mesh_policies().front().spec;
  }
  if (chosen == nullptr) return std::nullopt;
  for (const auto& peer : chosen->peers()) {
    if (!peer.has_mtls()) continue;
    return peer.mtls().mode() == authn::MutualTls::PERMISSIVE || peer.mtls().allow_tls()
               ? MtlsMode::kPermissive
               : MtlsMode::kStrict;
  }
  return MtlsMode::kDisable;
}

MtlsMode PeerMtlsMode(const PushContext& context, const std::string& workload_namespace,
                      const std::map<std::string, std::string>& labels, uint32_t port,
                      const ServiceInfo* service, const ServicePort* service_port) {
  const PeerAuthentication* workload = nullptr;
  const PeerAuthentication* namespace_wide = nullptr;
  const PeerAuthentication* mesh_wide = nullptr;
  // Sorted by namespace/name: the first of each level wins.
  for (const auto& [resource, policy] : context.peer_authentications()) {
    const bool has_selector =
        policy->has_selector() && !policy->selector().match_labels().empty();
    if (resource->namespace_name == workload_namespace) {
      if (has_selector) {
        const std::map<std::string, std::string> selector(
            policy->selector().match_labels().begin(), policy->selector().match_labels().end());
        if (workload == nullptr && LabelsMatch(selector, labels)) workload = policy;
      } else if (namespace_wide == nullptr) {
        namespace_wide = policy;
      }
    }
    if (resource->namespace_name == context.root_namespace() && !has_selector &&
        mesh_wide == nullptr) {
      mesh_wide = policy;
    }
  }
  PeerMode mode = PeerAuthentication::MutualTLS::UNSET;
  // Port-level settings count only on policies that select workloads.
  if (workload != nullptr) mode = ModeOf(*workload, port);
  if (mode == PeerAuthentication::MutualTLS::UNSET && namespace_wide != nullptr) {
    mode = namespace_wide->mtls().mode();
  }
  if (mode == PeerAuthentication::MutualTLS::UNSET && mesh_wide != nullptr) {
    mode = mesh_wide->mtls().mode();
  }
  // No PeerAuthentication applies: Istio 1.4's policies may.
  if (workload == nullptr && namespace_wide == nullptr && mesh_wide == nullptr &&
      service != nullptr && service_port != nullptr) {
    if (std::optional<MtlsMode> alpha = AlphaMtlsMode(context, *service, *service_port)) {
      return *alpha;
    }
  }
  switch (mode) {
    case PeerAuthentication::MutualTLS::STRICT:
      return MtlsMode::kStrict;
    case PeerAuthentication::MutualTLS::DISABLE:
      return MtlsMode::kDisable;
    default:
      return MtlsMode::kPermissive;
  }
}

tls::DownstreamTlsContext InboundTlsContext() {
  tls::DownstreamTlsContext context;
  *context.mutable_common_tls_context() = CommonContext();
  context.mutable_require_client_certificate()->set_value(true);
  return context;
}

std::optional<tls::UpstreamTlsContext> OutboundTlsContext(
    const PushContext& context, const ServiceInfo& service,
    const istio::networking::v1alpha3::TrafficPolicy& policy) {
  if (policy.tls().mode() != istio::networking::v1alpha3::ClientTLSSettings::ISTIO_MUTUAL) {
    return std::nullopt;
  }
  tls::UpstreamTlsContext upstream;
  *upstream.mutable_common_tls_context() = CommonContext();
  auto* validation = upstream.mutable_common_tls_context()
                         ->mutable_combined_validation_context()
                         ->mutable_default_validation_context();
  // match_subject_alt_names: the typed variant is ignored by some clients,
  // which then verify nothing.
  const auto& listed = !policy.tls().subject_alt_names().empty()
                           ? std::vector<std::string>(policy.tls().subject_alt_names().begin(),
                                                      policy.tls().subject_alt_names().end())
                           : service.subject_alt_names;
  if (listed.empty()) {
    const std::string& domain = context.mesh().trust_domain().empty()
                                    ? std::string("cluster.local")
                                    : context.mesh().trust_domain();
    validation->add_match_subject_alt_names()->set_prefix(absl::StrCat("spiffe://", domain, "/"));
  } else {
    for (const std::string& san : listed) {
      validation->add_match_subject_alt_names()->set_exact(san);
    }
  }
  return upstream;
}

}  // namespace keel::pilot
