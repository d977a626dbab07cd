#include "libs/mesh/schema.h"

#include <algorithm>

#include "google/protobuf/descriptor.h"
#include "libs/mesh/validation/validators.h"

// The table holds each kind's generated default instance: naming it links the
// generated code (and registers its descriptor) wherever the table is linked.
// A name looked up in the descriptor pool would not: the optimized build drops
// generated code nothing references, and the lookup then finds nothing.
#include "proto/istio/authentication/v1alpha1/policy.pb.h"
#include "proto/istio/mixer/adapter/model/v1beta1/info.pb.h"
#include "proto/istio/mixer/v1/config/client/api_spec.pb.h"
#include "proto/istio/mixer/v1/config/client/quota.pb.h"
#include "proto/istio/networking/v1alpha3/destination_rule.pb.h"
#include "proto/istio/networking/v1alpha3/envoy_filter.pb.h"
#include "proto/istio/networking/v1alpha3/gateway.pb.h"
#include "proto/istio/networking/v1alpha3/service_entry.pb.h"
#include "proto/istio/networking/v1alpha3/sidecar.pb.h"
#include "proto/istio/networking/v1alpha3/virtual_service.pb.h"
#include "proto/istio/networking/v1alpha3/workload_entry.pb.h"
#include "proto/istio/policy/v1beta1/cfg.pb.h"
#include "proto/istio/rbac/v1alpha1/rbac.pb.h"
#include "proto/istio/security/v1beta1/authorization_policy.pb.h"
#include "proto/istio/security/v1beta1/peer_authentication.pb.h"
#include "proto/istio/security/v1beta1/request_authentication.pb.h"

namespace keel::mesh {
namespace {

const std::vector<std::string> kNetworkingVersions = {"v1alpha3", "v1beta1", "v1"};
const std::vector<std::string> kSecurityVersions = {"v1beta1", "v1"};
const std::vector<std::string> kPolicyVersions = {"v1alpha2"};
const std::vector<std::string> kAuthenticationVersions = {"v1alpha1"};

std::vector<KindInfo> BuildTable() {
  using namespace validation;  // NOLINT: the validators are the table's column
  return {
      {"networking.istio.io", "v1alpha3", kNetworkingVersions, "VirtualService",
       &::istio::networking::v1alpha3::VirtualService::default_instance(), ValidateVirtualService},
      {"networking.istio.io", "v1alpha3", kNetworkingVersions, "DestinationRule",
       &::istio::networking::v1alpha3::DestinationRule::default_instance(),
       ValidateDestinationRule},
      {"networking.istio.io", "v1alpha3", kNetworkingVersions, "Gateway",
       &::istio::networking::v1alpha3::Gateway::default_instance(), ValidateGateway},
      {"networking.istio.io", "v1alpha3", kNetworkingVersions, "ServiceEntry",
       &::istio::networking::v1alpha3::ServiceEntry::default_instance(), ValidateServiceEntry},
      {"networking.istio.io", "v1alpha3", kNetworkingVersions, "Sidecar",
       &::istio::networking::v1alpha3::Sidecar::default_instance(), ValidateSidecar},
      {"networking.istio.io", "v1alpha3", kNetworkingVersions, "EnvoyFilter",
       &::istio::networking::v1alpha3::EnvoyFilter::default_instance(), ValidateEnvoyFilter},
      {"networking.istio.io", "v1alpha3", kNetworkingVersions, "WorkloadEntry",
       &::istio::networking::v1alpha3::WorkloadEntry::default_instance(), ValidateWorkloadEntry},
      {"security.istio.io", "v1beta1", kSecurityVersions, "AuthorizationPolicy",
       &::istio::security::v1beta1::AuthorizationPolicy::default_instance(),
       ValidateAuthorizationPolicy},
      {"security.istio.io", "v1beta1", kSecurityVersions, "PeerAuthentication",
       &::istio::security::v1beta1::PeerAuthentication::default_instance(),
       ValidatePeerAuthentication},
      {"security.istio.io", "v1beta1", kSecurityVersions, "RequestAuthentication",
       &::istio::security::v1beta1::RequestAuthentication::default_instance(),
       ValidateRequestAuthentication},
      // Istio 1.4's mTLS settings; PeerAuthentication replaced them.
      {"authentication.istio.io", "v1alpha1", kAuthenticationVersions, "Policy",
       &::istio::authentication::v1alpha1::Policy::default_instance(),
       ValidateAuthenticationPolicy},
      {"authentication.istio.io", "v1alpha1", kAuthenticationVersions, "MeshPolicy",
       &::istio::authentication::v1alpha1::Policy::default_instance(), ValidateMeshPolicy},
      // Istio 1.4's role-based access control; AuthorizationPolicy replaced it.
      {"rbac.istio.io", "v1alpha1", kAuthenticationVersions, "ServiceRole",
       &::istio::rbac::v1alpha1::ServiceRole::default_instance(), ValidateServiceRole},
      {"rbac.istio.io", "v1alpha1", kAuthenticationVersions, "ServiceRoleBinding",
       &::istio::rbac::v1alpha1::ServiceRoleBinding::default_instance(),
       ValidateServiceRoleBinding},
      {"rbac.istio.io", "v1alpha1", kAuthenticationVersions, "ClusterRbacConfig",
       &::istio::rbac::v1alpha1::RbacConfig::default_instance(), ValidateRbacConfig},
      {"rbac.istio.io", "v1alpha1", kAuthenticationVersions, "RbacConfig",
       &::istio::rbac::v1alpha1::RbacConfig::default_instance(), ValidateRbacConfig},
      {"config.istio.io", "v1alpha2", kPolicyVersions, "handler",
       &::istio::policy::v1beta1::Handler::default_instance(), ValidateHandler},
      {"config.istio.io", "v1alpha2", kPolicyVersions, "instance",
       &::istio::policy::v1beta1::Instance::default_instance(), ValidateInstance},
      {"config.istio.io", "v1alpha2", kPolicyVersions, "rule",
       &::istio::policy::v1beta1::Rule::default_instance(), ValidateRule},
      {"config.istio.io", "v1alpha2", kPolicyVersions, "attributemanifest",
       &::istio::policy::v1beta1::AttributeManifest::default_instance(), ValidateAttributeManifest},
      // Mixer's client config: which quotas a service's requests are charged,
      // and API attributes from paths.
      {"config.istio.io", "v1alpha2", kPolicyVersions, "QuotaSpec",
       &::istio::mixer::v1::config::client::QuotaSpec::default_instance(), ValidateQuotaSpec},
      {"config.istio.io", "v1alpha2", kPolicyVersions, "QuotaSpecBinding",
       &::istio::mixer::v1::config::client::QuotaSpecBinding::default_instance(),
       ValidateQuotaSpecBinding},
      {"config.istio.io", "v1alpha2", kPolicyVersions, "HTTPAPISpec",
       &::istio::mixer::v1::config::client::HTTPAPISpec::default_instance(), ValidateHttpApiSpec},
      {"config.istio.io", "v1alpha2", kPolicyVersions, "HTTPAPISpecBinding",
       &::istio::mixer::v1::config::client::HTTPAPISpecBinding::default_instance(),
       ValidateHttpApiSpecBinding},
      // Istio 1.4's out-of-process adapter and template descriptions.
      {"config.istio.io", "v1alpha2", kPolicyVersions, "adapter",
       &::istio::mixer::adapter::model::v1beta1::Info::default_instance(), ValidateAdapterInfo},
      {"config.istio.io", "v1alpha2", kPolicyVersions, "template",
       &::istio::mixer::adapter::model::v1beta1::Template::default_instance(), ValidateAdapterInfo},
  };
}

}  // namespace

std::string KindInfo::proto() const { return prototype->GetDescriptor()->full_name(); }

std::unique_ptr<google::protobuf::Message> KindInfo::NewSpec() const {
  return std::unique_ptr<google::protobuf::Message>(prototype->New());
}

const std::vector<KindInfo>& AllKinds() {
  static const auto* const kTable = new std::vector<KindInfo>(BuildTable());
  return *kTable;
}

const KindInfo* FindKind(std::string_view api_version, std::string_view kind, bool* group_known) {
  const size_t slash = api_version.find('/');
  const std::string_view group = api_version.substr(0, slash);
  const std::string_view version =
      slash == std::string_view::npos ? std::string_view() : api_version.substr(slash + 1);
  if (group_known != nullptr) *group_known = false;
  for (const KindInfo& info : AllKinds()) {
    if (info.group != group) continue;
    if (group_known != nullptr) *group_known = true;
    if (info.kind == kind && std::find(info.accepted_versions.begin(), info.accepted_versions.end(),
                                       version) != info.accepted_versions.end()) {
      return &info;
    }
  }
  return nullptr;
}

const KindInfo* FindKindByTypeUrl(std::string_view type_url) {
  for (const KindInfo& info : AllKinds()) {
    if (info.type_url() == type_url) return &info;
  }
  return nullptr;
}

const KindInfo* FindKindByName(std::string_view kind) {
  for (const KindInfo& info : AllKinds()) {
    if (info.kind == kind) return &info;
  }
  return nullptr;
}

}  // namespace keel::mesh
