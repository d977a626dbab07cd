// The kind table: every Istio kind Keel handles, in one place. Nothing else
// in Keel spells an API group, a kind name, a proto type or a type URL: code
// that reads a kind names it through its typed handle (kinds::VirtualService),
// so a misspelt kind does not compile and a spec is read as its own type.
//
//   if (const auto* vs = resource.As(kinds::VirtualService)) ... vs->hosts() ...
#ifndef KEEL_LIBS_MESH_SCHEMA_H_
#define KEEL_LIBS_MESH_SCHEMA_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/message.h"

// The kinds' spec types (the generated headers are included where a spec is read).
namespace istio::networking::v1alpha3 {
class VirtualService;
class DestinationRule;
class Gateway;
class ServiceEntry;
class Sidecar;
class EnvoyFilter;
class WorkloadEntry;
}  // namespace istio::networking::v1alpha3
namespace istio::security::v1beta1 {
class AuthorizationPolicy;
class PeerAuthentication;
class RequestAuthentication;
}  // namespace istio::security::v1beta1
namespace istio::authentication::v1alpha1 {
class Policy;
}  // namespace istio::authentication::v1alpha1
namespace istio::rbac::v1alpha1 {
class ServiceRole;
class ServiceRoleBinding;
class RbacConfig;
}  // namespace istio::rbac::v1alpha1
namespace istio::policy::v1beta1 {
class Handler;
class Instance;
class Rule;
class AttributeManifest;
}  // namespace istio::policy::v1beta1
namespace istio::mixer::v1::config::client {
class QuotaSpec;
class QuotaSpecBinding;
class HTTPAPISpec;
class HTTPAPISpecBinding;
}  // namespace istio::mixer::v1::config::client
namespace istio::mixer::adapter::model::v1beta1 {
class Info;
class Template;
}  // namespace istio::mixer::adapter::model::v1beta1

namespace keel::mesh {

// Which services read a kind: each subscribes to its kinds from the table.
// Galley validates and serves every kind whatever its consumers.
enum Consumer : uint8_t {
  kPilot = 1 << 0,
  kMixer = 1 << 1,
};

class FieldErrors;
struct Resource;

// Validate checks one resource's spec with Istio's rules, adding to `errors`
// with field paths relative to the resource ("spec.hosts[0]").
using ValidateFn = void (*)(const Resource& resource, FieldErrors& errors);

struct KindInfo {
  std::string group;                           // "networking.istio.io"
  std::string version;                         // the version Keel serves it as, "v1alpha3"
  std::vector<std::string> accepted_versions;  // every version read, e.g. v1alpha3, v1beta1, v1
  std::string kind;                            // "VirtualService"
  // The generated default instance of the kind's proto type; never null.
  const google::protobuf::Message* prototype = nullptr;
  ValidateFn validate = nullptr;
  uint8_t consumers = 0;  // Consumer bits

  bool ConsumedBy(Consumer consumer) const { return (consumers & consumer) != 0; }
  // api_version is "group/version", e.g. "networking.istio.io/v1alpha3".
  std::string api_version() const { return group + "/" + version; }
  // type_url names the kind on MCP-over-xDS: "networking.istio.io/v1alpha3/VirtualService".
  std::string type_url() const { return group + "/" + version + "/" + kind; }

  // plural names the kind's resources in Kubernetes' API and its CRD:
  // "virtualservices", "authorizationpolicies", "handlers".
  std::string plural() const;
  // api_path is where Kubernetes' API serves the kind's resources:
  // "/apis/networking.istio.io/v1alpha3/virtualservices".
  std::string api_path() const { return "/apis/" + group + "/" + version + "/" + plural(); }
  // cluster_scoped: the kind has no namespace in Kubernetes (Istio 1.4's
  // MeshPolicy and ClusterRbacConfig).
  bool cluster_scoped() const;

  // proto is the full name of the kind's proto type, e.g.
  // "istio.networking.v1alpha3.VirtualService".
  std::string proto() const;

  // NewSpec returns an empty message of the kind's proto type.
  std::unique_ptr<google::protobuf::Message> NewSpec() const;
};

// AllKinds returns the table, in a stable order.
const std::vector<KindInfo>& AllKinds();

// KindsConsumedBy returns the table's kinds `consumer` reads, in table order.
std::vector<const KindInfo*> KindsConsumedBy(Consumer consumer);

// FindKind returns the kind for `api_version` ("group/version") and `kind`,
// or null if Keel does not handle it. `group_known` (may be null) is set when
// the group is one of Istio's, so a wrong version can be told from a
// foreign kind.
const KindInfo* FindKind(std::string_view api_version, std::string_view kind,
                         bool* group_known = nullptr);

// FindKindByTypeUrl returns the kind for an MCP type URL, or null.
const KindInfo* FindKindByTypeUrl(std::string_view type_url);

// FindKindByName returns the kind named `kind` ("VirtualService"), or null.
const KindInfo* FindKindByName(std::string_view kind);

// A typed handle on one row of the table: the kind's name with its spec's
// proto type. The table is built from the handles, so each handle has its
// row, and the row's prototype is of the handle's type.
template <typename Spec>
class Kind {
 public:
  using SpecType = Spec;

  constexpr explicit Kind(std::string_view name) : name_(name) {}

  constexpr std::string_view name() const { return name_; }
  // The table's row for this kind.
  const KindInfo& info() const { return *FindKindByName(name_); }
  // Is reports whether `kind` is this kind.
  bool Is(const KindInfo* kind) const { return kind != nullptr && kind->kind == name_; }

 private:
  std::string_view name_;
};

namespace kinds {
namespace net = ::istio::networking::v1alpha3;
namespace sec = ::istio::security::v1beta1;
namespace authn = ::istio::authentication::v1alpha1;
namespace rbac = ::istio::rbac::v1alpha1;
namespace policy = ::istio::policy::v1beta1;
namespace client = ::istio::mixer::v1::config::client;
namespace model = ::istio::mixer::adapter::model::v1beta1;

inline constexpr Kind<net::VirtualService> VirtualService{"VirtualService"};
inline constexpr Kind<net::DestinationRule> DestinationRule{"DestinationRule"};
inline constexpr Kind<net::Gateway> Gateway{"Gateway"};
inline constexpr Kind<net::ServiceEntry> ServiceEntry{"ServiceEntry"};
inline constexpr Kind<net::Sidecar> Sidecar{"Sidecar"};
inline constexpr Kind<net::EnvoyFilter> EnvoyFilter{"EnvoyFilter"};
inline constexpr Kind<net::WorkloadEntry> WorkloadEntry{"WorkloadEntry"};
inline constexpr Kind<sec::AuthorizationPolicy> AuthorizationPolicy{"AuthorizationPolicy"};
inline constexpr Kind<sec::PeerAuthentication> PeerAuthentication{"PeerAuthentication"};
inline constexpr Kind<sec::RequestAuthentication> RequestAuthentication{"RequestAuthentication"};
// Istio 1.4's mTLS settings (PeerAuthentication replaced them): one proto, two kinds.
inline constexpr Kind<authn::Policy> Policy{"Policy"};
inline constexpr Kind<authn::Policy> MeshPolicy{"MeshPolicy"};
// Istio 1.4's role-based access control (AuthorizationPolicy replaced it).
inline constexpr Kind<rbac::ServiceRole> ServiceRole{"ServiceRole"};
inline constexpr Kind<rbac::ServiceRoleBinding> ServiceRoleBinding{"ServiceRoleBinding"};
inline constexpr Kind<rbac::RbacConfig> ClusterRbacConfig{"ClusterRbacConfig"};
inline constexpr Kind<rbac::RbacConfig> RbacConfig{"RbacConfig"};
// Mixer's config (Istio 1.4 spells these kinds in lower case).
inline constexpr Kind<policy::Handler> Handler{"handler"};
inline constexpr Kind<policy::Instance> Instance{"instance"};
inline constexpr Kind<policy::Rule> Rule{"rule"};
inline constexpr Kind<policy::AttributeManifest> AttributeManifest{"attributemanifest"};
inline constexpr Kind<client::QuotaSpec> QuotaSpec{"QuotaSpec"};
inline constexpr Kind<client::QuotaSpecBinding> QuotaSpecBinding{"QuotaSpecBinding"};
inline constexpr Kind<client::HTTPAPISpec> HttpApiSpec{"HTTPAPISpec"};
inline constexpr Kind<client::HTTPAPISpecBinding> HttpApiSpecBinding{"HTTPAPISpecBinding"};
// Istio 1.4's out-of-process adapter and template descriptions.
inline constexpr Kind<model::Info> Adapter{"adapter"};
inline constexpr Kind<model::Template> Template{"template"};
}  // namespace kinds

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_SCHEMA_H_
