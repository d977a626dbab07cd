#include "libs/mesh/schema.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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

// Row builds a kind's row from its handle: the prototype is the handle's type.
template <typename Spec>
KindInfo Row(const Kind<Spec>& handle, const char* group, const char* version,
             const std::vector<std::string>& accepted_versions, ValidateFn validate,
             uint8_t consumers) {
  return KindInfo{.group = group,
                  .version = version,
                  .accepted_versions = accepted_versions,
                  .kind = std::string(handle.name()),
                  .prototype = &Spec::default_instance(),
                  .validate = validate,
                  .consumers = consumers};
}

std::vector<KindInfo> BuildTable() {
  using namespace validation;  // NOLINT: the validators are the table's column
  constexpr char kNetworking[] = "networking.istio.io";
  constexpr char kSecurity[] = "security.istio.io";
  constexpr char kAuthentication[] = "authentication.istio.io";
  constexpr char kRbac[] = "rbac.istio.io";
  constexpr char kConfig[] = "config.istio.io";
  return {
      Row(kinds::VirtualService, kNetworking, "v1alpha3", kNetworkingVersions,
          ValidateVirtualService, kPilot),
      Row(kinds::DestinationRule, kNetworking, "v1alpha3", kNetworkingVersions,
          ValidateDestinationRule, kPilot),
      // Pilot serves no gateway (proxyless clients have none); Galley still
      // validates and serves it, and analysis reads it.
      Row(kinds::Gateway, kNetworking, "v1alpha3", kNetworkingVersions, ValidateGateway, 0),
      Row(kinds::ServiceEntry, kNetworking, "v1alpha3", kNetworkingVersions, ValidateServiceEntry,
          kPilot),
      Row(kinds::Sidecar, kNetworking, "v1alpha3", kNetworkingVersions, ValidateSidecar, kPilot),
      Row(kinds::EnvoyFilter, kNetworking, "v1alpha3", kNetworkingVersions, ValidateEnvoyFilter,
          kPilot),
      Row(kinds::WorkloadEntry, kNetworking, "v1alpha3", kNetworkingVersions,
          ValidateWorkloadEntry, kPilot),
      Row(kinds::AuthorizationPolicy, kSecurity, "v1beta1", kSecurityVersions,
          ValidateAuthorizationPolicy, kPilot),
      Row(kinds::PeerAuthentication, kSecurity, "v1beta1", kSecurityVersions,
          ValidatePeerAuthentication, kPilot),
      // JWT rules: validated and served; proxyless gRPC has no JWT filter.
      Row(kinds::RequestAuthentication, kSecurity, "v1beta1", kSecurityVersions,
          ValidateRequestAuthentication, 0),
      Row(kinds::Policy, kAuthentication, "v1alpha1", kAuthenticationVersions,
          ValidateAuthenticationPolicy, kPilot),
      Row(kinds::MeshPolicy, kAuthentication, "v1alpha1", kAuthenticationVersions,
          ValidateMeshPolicy, kPilot),
      Row(kinds::ServiceRole, kRbac, "v1alpha1", kAuthenticationVersions, ValidateServiceRole,
          kPilot),
      Row(kinds::ServiceRoleBinding, kRbac, "v1alpha1", kAuthenticationVersions,
          ValidateServiceRoleBinding, kPilot),
      Row(kinds::ClusterRbacConfig, kRbac, "v1alpha1", kAuthenticationVersions,
          ValidateRbacConfig, kPilot),
      Row(kinds::RbacConfig, kRbac, "v1alpha1", kAuthenticationVersions, ValidateRbacConfig,
          kPilot),
      Row(kinds::Handler, kConfig, "v1alpha2", kPolicyVersions, ValidateHandler, kMixer),
      Row(kinds::Instance, kConfig, "v1alpha2", kPolicyVersions, ValidateInstance, kMixer),
      Row(kinds::Rule, kConfig, "v1alpha2", kPolicyVersions, ValidateRule, kMixer),
      Row(kinds::AttributeManifest, kConfig, "v1alpha2", kPolicyVersions,
          ValidateAttributeManifest, kMixer),
      // Mixer's client config: which quotas a service's requests are
      // charged, and API attributes from paths.
      Row(kinds::QuotaSpec, kConfig, "v1alpha2", kPolicyVersions, ValidateQuotaSpec, kMixer),
      Row(kinds::QuotaSpecBinding, kConfig, "v1alpha2", kPolicyVersions,
          ValidateQuotaSpecBinding, kMixer),
      Row(kinds::HttpApiSpec, kConfig, "v1alpha2", kPolicyVersions, ValidateHttpApiSpec, kMixer),
      Row(kinds::HttpApiSpecBinding, kConfig, "v1alpha2", kPolicyVersions,
          ValidateHttpApiSpecBinding, kMixer),
      // Descriptions only: no service reads them.
      Row(kinds::Adapter, kConfig, "v1alpha2", kPolicyVersions, ValidateAdapterInfo, 0),
      Row(kinds::Template, kConfig, "v1alpha2", kPolicyVersions, ValidateAdapterInfo, 0),
  };
}

}  // namespace

std::string KindInfo::proto() const { return prototype->GetDescriptor()->full_name(); }

std::string KindInfo::plural() const {
  std::string lower = absl::AsciiStrToLower(kind);
  // English, as Kubernetes' CRDs spell it: policy -> policies, gateway -> gateways.
  if (lower.size() > 1 && lower.back() == 'y' &&
      std::string_view("aeiou").find(lower[lower.size() - 2]) == std::string_view::npos) {
    return lower.substr(0, lower.size() - 1) + "ies";
  }
  return lower + "s";
}

bool KindInfo::cluster_scoped() const {
  return kinds::MeshPolicy.Is(this) || kinds::ClusterRbacConfig.Is(this);
}

std::unique_ptr<google::protobuf::Message> KindInfo::NewSpec() const {
  return std::unique_ptr<google::protobuf::Message>(prototype->New());
}

const std::vector<KindInfo>& AllKinds() {
  static const auto* const kTable = new std::vector<KindInfo>(BuildTable());
  return *kTable;
}

std::vector<const KindInfo*> KindsConsumedBy(Consumer consumer) {
  std::vector<const KindInfo*> kinds;
  for (const KindInfo& info : AllKinds()) {
    if (info.ConsumedBy(consumer)) kinds.push_back(&info);
  }
  return kinds;
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
