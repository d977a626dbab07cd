#include "libs/mesh/analysis.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/mesh/mixer_config.h"
#include "proto/istio/networking/v1alpha3/destination_rule.pb.h"
#include "proto/istio/networking/v1alpha3/gateway.pb.h"
#include "proto/istio/networking/v1alpha3/service_entry.pb.h"
#include "proto/istio/networking/v1alpha3/sidecar.pb.h"
#include "proto/istio/networking/v1alpha3/virtual_service.pb.h"

namespace keel::mesh {

namespace net = ::istio::networking::v1alpha3;

namespace {

// Istio's analyzer messages (pkg/config/analysis/msg/messages.yaml) that
// Keel reports, and one of Keel's own where Istio has none.
struct MessageType {
  const char* code;
  Level level;
};
constexpr MessageType kReferencedResourceNotFound = {"IST0101", Level::kError};
constexpr MessageType kConflictingMeshGatewayVirtualServiceHosts = {"IST0109", Level::kError};
constexpr MessageType kMultipleSidecarsWithoutWorkloadSelectors = {"IST0111", Level::kError};
constexpr MessageType kVirtualServiceDestinationPortSelectorRequired = {"IST0112", Level::kError};
constexpr MessageType kNoServerCertificateVerificationDestinationLevel = {"IST0128",
                                                                          Level::kWarning};
constexpr MessageType kVirtualServiceHostNotFoundInGateway = {"IST0132", Level::kWarning};
constexpr MessageType kServiceEntryAddressesRequired = {"IST0134", Level::kWarning};
constexpr MessageType kConflictingGateways = {"IST0145", Level::kError};
constexpr MessageType kUnknownDestinationRuleHost = {"IST0174", Level::kWarning};
// Istio merges DestinationRules for one host at push time (first traffic
// policy wins, duplicate subsets dropped) and has no message for it.
constexpr MessageType kMultipleDestinationRulesForHost = {"KEEL0001", Level::kWarning};

void Report(std::vector<Diagnostic>& out, const MessageType& type, const Resource& resource,
            const std::string& field, std::string message) {
  Diagnostic d;
  d.level = type.level;
  d.code = type.code;
  d.position = field.empty() ? resource.position : resource.PositionOf(field);
  d.resource = resource.DisplayName();
  d.field = field;
  d.message = std::move(message);
  out.push_back(std::move(d));
}

std::string Quote(const std::string& s) { return absl::StrCat("\"", s, "\""); }

template <typename Spec>
std::vector<std::pair<const Resource*, const Spec*>> OfKind(
    const std::vector<const Resource*>& resources, const Kind<Spec>& kind) {
  std::vector<std::pair<const Resource*, const Spec*>> out;
  for (const Resource* r : resources) {
    if (const Spec* spec = r->As(kind)) out.push_back({r, spec});
  }
  return out;
}

// ServiceEntry hosts by "scope/fqdn", as Istio's InitServiceEntryHostMap
// builds them: scope "*" for exported everywhere, else a namespace.
// Kubernetes Services count as ServiceEntries (Istio's synthetic ones).
class ServiceEntryHosts {
 public:
  explicit ServiceEntryHosts(const AnalysisInput& input)
      : domain_(input.options.cluster_domain),
        default_export_to_(input.options.default_service_export_to) {
    for (const auto& [resource, se] :
         OfKind(input.all_versions, kinds::ServiceEntry)) {
      Add(resource->namespace_name, *se);
    }
    for (const KubeObject* object : input.kube_objects) {
      if (object->kind != "Service") continue;
      auto synthetic = std::make_unique<net::ServiceEntry>();
      synthetic->add_hosts(
          absl::StrCat(object->name, ".", object->namespace_name, ".svc.", domain_));
      for (const KubeObject::ServicePort& port : object->ports) {
        auto* out = synthetic->add_ports();
        out->set_number(port.number);
        out->set_name(port.name);
        out->set_protocol(port.protocol);
      }
      auto export_to = object->annotations.find("networking.istio.io/exportTo");
      if (export_to != object->annotations.end()) {
        for (absl::string_view e : absl::StrSplit(export_to->second, ',', absl::SkipWhitespace())) {
          synthetic->add_export_to(std::string(absl::StripAsciiWhitespace(e)));
        }
      }
      Add(object->namespace_name, *synthetic);
      synthetic_.push_back(std::move(synthetic));
    }
  }

  // Find resolves `host` as seen from namespace `ns` by a resource exported
  // to `export_to`; null when no ServiceEntry defines it.
  template <typename ExportTo>
  const net::ServiceEntry* Find(const std::string& ns, const ExportTo& export_to,
                                const std::string& host) const {
    const std::string fqdn = ToFqdn(ns, host, domain_);
    if (auto it = by_scoped_host_.find("*/" + fqdn); it != by_scoped_host_.end()) return it->second;
    std::vector<std::string> scopes;
    if (export_to.empty()) scopes.push_back(ns);
    for (const std::string& e : export_to) scopes.push_back(e == "." ? ns : e);
    for (const std::string& scope : scopes) {
      if (auto it = by_scoped_host_.find(scope + "/" + fqdn); it != by_scoped_host_.end())
        return it->second;
    }
    for (const auto& [key, se] : by_scoped_host_) {
      const size_t slash = key.find('/');
      const std::string scope = key.substr(0, slash);
      const std::string se_host = key.substr(slash + 1);
      if (se_host.empty() || se_host[0] != '*' || (scope != "*" && scope != ns)) continue;
      const std::string suffix = se_host.substr(1);
      const std::string trimmed = host[0] == '*' ? host.substr(1) : host;
      if (absl::EndsWith(trimmed, suffix)) return se;
    }
    return nullptr;
  }

 private:
  void Add(const std::string& ns, const net::ServiceEntry& se) {
    for (const std::string& host : se.hosts()) {
      const std::string fqdn = ToFqdn(ns, host, domain_);
      std::vector<std::string> scopes;
      const std::vector<std::string> export_to =
          se.export_to().empty()
              ? default_export_to_
              : std::vector<std::string>(se.export_to().begin(), se.export_to().end());
      if (export_to.empty()) scopes.push_back("*");
      for (const std::string& e : export_to) {
        if (e == "*") {
          scopes = {"*"};
          break;
        }
        scopes.push_back(e == "." ? ns : e);
      }
      for (const std::string& scope : scopes) by_scoped_host_[scope + "/" + fqdn] = &se;
    }
  }

  std::string domain_;
  std::vector<std::string> default_export_to_;
  std::map<std::string, const net::ServiceEntry*> by_scoped_host_;
  std::vector<std::unique_ptr<net::ServiceEntry>> synthetic_;
};

struct DestinationRef {
  const net::Destination* destination;
  std::string field;  // "spec.http[0].route[1].destination"
  bool mirror;
};

std::vector<DestinationRef> Destinations(const net::VirtualService& vs) {
  std::vector<DestinationRef> out;
  for (int i = 0; i < vs.http_size(); ++i) {
    const auto& http = vs.http(i);
    for (int j = 0; j < http.route_size(); ++j) {
      if (http.route(j).has_destination()) {
        out.push_back({&http.route(j).destination(),
                       absl::StrCat("spec.http[", i, "].route[", j, "].destination"), false});
      }
    }
    if (http.has_mirror())
      out.push_back({&http.mirror(), absl::StrCat("spec.http[", i, "].mirror"), true});
    for (int j = 0; j < http.mirrors_size(); ++j) {
      if (http.mirrors(j).has_destination()) {
        out.push_back({&http.mirrors(j).destination(),
                       absl::StrCat("spec.http[", i, "].mirrors[", j, "].destination"), true});
      }
    }
  }
  for (int i = 0; i < vs.tcp_size(); ++i) {
    for (int j = 0; j < vs.tcp(i).route_size(); ++j) {
      out.push_back({&vs.tcp(i).route(j).destination(),
                     absl::StrCat("spec.tcp[", i, "].route[", j, "].destination"), false});
    }
  }
  for (int i = 0; i < vs.tls_size(); ++i) {
    for (int j = 0; j < vs.tls(i).route_size(); ++j) {
      out.push_back({&vs.tls(i).route(j).destination(),
                     absl::StrCat("spec.tls[", i, "].route[", j, "].destination"), false});
    }
  }
  return out;
}

void DestinationHostAnalyzer(const AnalysisInput& input, std::vector<Diagnostic>& out) {
  ServiceEntryHosts registry(input);
  for (const auto& [resource, vs] :
       OfKind(input.resources, kinds::VirtualService)) {
    for (const DestinationRef& ref : Destinations(*vs)) {
      const std::string& host = ref.destination->host();
      const net::ServiceEntry* se = registry.Find(resource->namespace_name, vs->export_to(), host);
      if (se == nullptr) {
        Report(out, kReferencedResourceNotFound, *resource, ref.field + ".host",
               absl::StrCat("Referenced ", ref.mirror ? "mirror host" : "host",
                            " not found: ", Quote(host)));
        continue;
      }
      if (!ref.destination->has_port()) {
        if (se->ports_size() > 1) {
          std::vector<std::string> ports;
          for (const auto& port : se->ports()) ports.push_back(std::to_string(port.number()));
          Report(
              out, kVirtualServiceDestinationPortSelectorRequired, *resource, ref.field,
              absl::StrCat("This VirtualService routes to a service ", Quote(host),
                           " that exposes multiple ports [", absl::StrJoin(ports, " "),
                           "]. Specifying a port in the destination is required to disambiguate."));
        }
        continue;
      }
      const uint32_t number = ref.destination->port().number();
      const bool found = std::any_of(se->ports().begin(), se->ports().end(),
                                     [&](const auto& port) { return port.number() == number; });
      if (!found) {
        Report(out, kReferencedResourceNotFound, *resource, ref.field + ".port",
               absl::StrCat("Referenced host:port not found: ",
                            Quote(absl::StrCat(host, ":", number))));
      }
    }
  }
}

// Istio's GetResourceNameFromHost: "name.ns.svc.<domain>" -> (ns, name);
// anything else stays as given in the referencing namespace.
std::pair<std::string, std::string> ResourceNameFromHost(const std::string& ns,
                                                         const std::string& host,
                                                         const std::string& domain) {
  const std::string suffix = ".svc." + domain;
  if (absl::EndsWith(host, suffix)) {
    const std::string head = host.substr(0, host.size() - suffix.size());
    const size_t dot = head.rfind('.');
    if (dot != std::string::npos && dot > 0) return {head.substr(dot + 1), head.substr(0, dot)};
  }
  return {ns, host};
}

void DestinationSubsetAnalyzer(const AnalysisInput& input, std::vector<Diagnostic>& out) {
  std::set<std::tuple<std::string, std::string, std::string>> subsets;  // ns, name, subset
  for (const auto& [resource, dr] :
       OfKind(input.all_versions, kinds::DestinationRule)) {
    auto [ns, name] =
        ResourceNameFromHost(resource->namespace_name, dr->host(), input.options.cluster_domain);
    for (const auto& subset : dr->subsets()) subsets.insert({ns, name, subset.name()});
  }
  for (const auto& [resource, vs] :
       OfKind(input.resources, kinds::VirtualService)) {
    for (const DestinationRef& ref : Destinations(*vs)) {
      const std::string& subset = ref.destination->subset();
      if (subset.empty()) continue;
      auto [ns, name] = ResourceNameFromHost(resource->namespace_name, ref.destination->host(),
                                             input.options.cluster_domain);
      if (subsets.count({ns, name, subset}) == 0) {
        Report(out, kReferencedResourceNotFound, *resource, ref.field + ".subset",
               absl::StrCat("Referenced ", ref.mirror ? "mirror+subset" : "host+subset",
                            " in destinationrule not found: ",
                            Quote(absl::StrCat(ref.destination->host(), "+", subset))));
      }
    }
  }
}

void GatewayAnalyzer(const AnalysisInput& input, std::vector<Diagnostic>& out) {
  std::map<std::pair<std::string, std::string>, std::pair<const Resource*, const net::Gateway*>>
      gateways;
  for (const auto& [resource, gw] : OfKind(input.all_versions, kinds::Gateway)) {
    gateways[{resource->namespace_name, resource->name}] = {resource, gw};
  }
  for (const auto& [resource, vs] :
       OfKind(input.resources, kinds::VirtualService)) {
    for (int i = 0; i < vs->gateways_size(); ++i) {
      const std::string& ref = vs->gateways(i);
      if (ref == "mesh") continue;
      const std::string field = absl::StrCat("spec.gateways[", i, "]");
      const size_t slash = ref.find('/');
      const std::pair<std::string, std::string> key =
          slash == std::string::npos ? std::make_pair(resource->namespace_name, ref)
                                     : std::make_pair(ref.substr(0, slash), ref.substr(slash + 1));
      auto it = gateways.find(key);
      std::vector<std::string> gateway_hosts;
      if (it == gateways.end()) {
        Report(out, kReferencedResourceNotFound, *resource, field,
               absl::StrCat("Referenced gateway not found: ", Quote(ref)));
      } else {
        const Resource* gw_resource = it->second.first;
        for (const auto& server : it->second.second->servers()) {
          for (const std::string& raw : server.hosts()) {
            std::string host = raw;
            if (absl::StartsWith(host, "./")) host = gw_resource->namespace_name + host.substr(1);
            if (absl::StartsWith(host, "*/")) host = host.substr(2);
            const size_t host_slash = host.find('/');
            if (host_slash != std::string::npos) {
              if (host.substr(0, host_slash) != resource->namespace_name) continue;
              host = host.substr(host_slash + 1);
            }
            gateway_hosts.push_back(host);
          }
        }
      }
      // Only against a gateway that exists and serves something (a gateway
      // with no servers is invalid, and reported as such).
      if (it == gateways.end() || it->second.second->servers().empty()) continue;
      bool matched = false;
      for (const std::string& gw_host : gateway_hosts) {
        for (const std::string& vs_host : vs->hosts()) matched |= HostsMatch(gw_host, vs_host);
      }
      if (!matched) {
        Report(out, kVirtualServiceHostNotFoundInGateway, *resource, field,
               absl::StrCat("one or more host [", absl::StrJoin(vs->hosts(), " "),
                            "] defined in VirtualService ", resource->namespace_name, "/",
                            resource->name, " not found in Gateway ", key.first, "/", key.second,
                            "."));
      }
    }
  }
}

void ConflictingMeshGatewayHostsAnalyzer(const AnalysisInput& input, std::vector<Diagnostic>& out) {
  std::map<std::string, std::vector<const Resource*>> by_scoped_host;
  for (const auto& [resource, vs] :
       OfKind(input.resources, kinds::VirtualService)) {
    const bool mesh =
        vs->gateways().empty() ||
        std::find(vs->gateways().begin(), vs->gateways().end(), "mesh") != vs->gateways().end();
    if (!mesh) continue;
    std::set<std::string> scopes;
    const std::vector<std::string> export_to =
        vs->export_to().empty()
            ? input.options.default_virtual_service_export_to
            : std::vector<std::string>(vs->export_to().begin(), vs->export_to().end());
    const bool everywhere =
        export_to.empty() || std::find(export_to.begin(), export_to.end(), "*") != export_to.end();
    if (everywhere) {
      scopes.insert("*");
    } else {
      for (const std::string& e : export_to) scopes.insert(e == "." ? resource->namespace_name : e);
    }
    for (const std::string& scope : scopes) {
      for (const std::string& host : vs->hosts()) {
        // Once per resource: a VirtualService naming one host two ways
        // ("reviews" and its FQDN) never conflicts with itself (#42561).
        auto& claimants =
            by_scoped_host[scope + "/" +
                           ToFqdn(resource->namespace_name, host, input.options.cluster_domain)];
        if (std::find(claimants.begin(), claimants.end(), resource) == claimants.end()) {
          claimants.push_back(resource);
        }
      }
    }
  }
  // As Istio 1.4: VirtualServices conflict when they claim one host in one
  // scope ("*" for exported everywhere, else a namespace).
  std::set<const Resource*> reported;
  for (auto& [key, conflicting] : by_scoped_host) {
    if (conflicting.size() < 2) continue;
    std::vector<std::string> names;
    for (const Resource* r : conflicting) names.push_back(r->namespace_name + "/" + r->name);
    std::sort(names.begin(), names.end());
    for (const Resource* r : conflicting) {
      if (!reported.insert(r).second) continue;
      Report(out, kConflictingMeshGatewayVirtualServiceHosts, *r, "spec.hosts",
             absl::StrCat("The VirtualServices ", absl::StrJoin(names, ","),
                          " associated with mesh gateway define the same host ", key,
                          " which can lead to undefined behavior. This can be fixed by merging the "
                          "conflicting VirtualServices into a single resource."));
    }
  }
}

std::string SelectorString(const google::protobuf::Map<std::string, std::string>& selector) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : std::map<std::string, std::string>(selector.begin(), selector.end())) {
    parts.push_back(k + "=" + v);
  }
  return absl::StrJoin(parts, ",");
}

void ConflictingGatewaysAnalyzer(const AnalysisInput& input, std::vector<Diagnostic>& out) {
  // (selector, port, host, bind) -> gateways that serve it.
  std::map<std::tuple<std::string, uint32_t, std::string, std::string>, std::set<std::string>>
      owners;
  auto gateways = OfKind(input.resources, kinds::Gateway);
  for (const auto& [resource, gw] : gateways) {
    for (const auto& server : gw->servers()) {
      for (const std::string& host : server.hosts()) {
        owners[{SelectorString(gw->selector()), server.port().number(), host, server.bind()}]
            .insert(resource->namespace_name + "/" + resource->name);
      }
    }
  }
  for (const auto& [resource, gw] : gateways) {
    const std::string self = resource->namespace_name + "/" + resource->name;
    for (int i = 0; i < gw->servers_size(); ++i) {
      const auto& server = gw->servers(i);
      std::set<std::string> others;
      for (const std::string& host : server.hosts()) {
        for (const std::string& owner : owners[{SelectorString(gw->selector()),
                                                server.port().number(), host, server.bind()}]) {
          if (owner != self) others.insert(owner);
        }
      }
      if (others.empty()) continue;
      Report(out, kConflictingGateways, *resource, absl::StrCat("spec.servers[", i, "]"),
             absl::StrCat("Conflict with gateways ", absl::StrJoin(others, ","),
                          " (workload selector ", SelectorString(gw->selector()), ", port ",
                          server.port().number(), ", hosts ", absl::StrJoin(server.hosts(), ","),
                          ")."));
    }
  }
}

void DestinationRuleAnalyzer(const AnalysisInput& input, std::vector<Diagnostic>& out) {
  ServiceEntryHosts registry(input);
  std::map<std::string, std::vector<const Resource*>> by_host;
  for (const auto& [resource, dr] :
       OfKind(input.resources, kinds::DestinationRule)) {
    if (registry.Find(resource->namespace_name, dr->export_to(), dr->host()) == nullptr) {
      Report(
          out, kUnknownDestinationRuleHost, *resource, "spec.host",
          absl::StrCat("The host ", dr->host(),
                       " defined in the DestinationRule does not match any services in the mesh."));
    }
    if (!dr->has_workload_selector()) {
      by_host[ToFqdn(resource->namespace_name, dr->host(), input.options.cluster_domain)].push_back(
          resource);
    }
    if (dr->has_traffic_policy() && dr->traffic_policy().has_tls()) {
      const auto& tls = dr->traffic_policy().tls();
      const bool verifies = !tls.ca_certificates().empty() ||
                            (!tls.credential_name().empty() && dr->has_workload_selector());
      if ((tls.mode() == net::ClientTLSSettings::SIMPLE ||
           tls.mode() == net::ClientTLSSettings::MUTUAL) &&
          !verifies) {
        Report(out, kNoServerCertificateVerificationDestinationLevel, *resource,
               "spec.trafficPolicy.tls",
               absl::StrCat("DestinationRule ", resource->name, " in namespace ",
                            resource->namespace_name, " has TLS mode set to ",
                            net::ClientTLSSettings::TLSmode_Name(tls.mode()),
                            " but no caCertificates are set to validate server identity for host: ",
                            dr->host()));
      }
    }
  }
  for (const auto& [host, list] : by_host) {
    if (list.size() < 2) continue;
    std::vector<std::string> names;
    for (const Resource* r : list) names.push_back(r->namespace_name + "/" + r->name);
    for (const Resource* r : list) {
      Report(
          out, kMultipleDestinationRulesForHost, *r, "spec.host",
          absl::StrCat("DestinationRules ", absl::StrJoin(names, ","), " all apply to host ", host,
                       "; they are merged: the first traffic policy wins and duplicate subsets are "
                       "dropped."));
    }
  }
}

void SidecarAnalyzer(const AnalysisInput& input, std::vector<Diagnostic>& out) {
  std::map<std::string, std::vector<const Resource*>> namespace_scoped;
  for (const auto& [resource, sidecar] : OfKind(input.resources, kinds::Sidecar)) {
    if (!sidecar->has_workload_selector() || sidecar->workload_selector().labels().empty()) {
      namespace_scoped[resource->namespace_name].push_back(resource);
    }
  }
  for (const auto& [ns, list] : namespace_scoped) {
    if (list.size() < 2) continue;
    std::vector<std::string> names;
    for (const Resource* r : list) names.push_back(r->name);
    std::sort(names.begin(), names.end());
    for (const Resource* r : list) {
      Report(out, kMultipleSidecarsWithoutWorkloadSelectors, *r, "",
             absl::StrCat("The Sidecars [", absl::StrJoin(names, " "), "] in namespace \"", ns,
                          "\" have no workload selector, which can lead to undefined behavior."));
    }
  }
}

void ServiceEntryAddressesAnalyzer(const AnalysisInput& input, std::vector<Diagnostic>& out) {
  for (const auto& [resource, se] : OfKind(input.resources, kinds::ServiceEntry)) {
    if (!se->addresses().empty()) continue;
    for (int i = 0; i < se->ports_size(); ++i) {
      const std::string protocol = absl::AsciiStrToUpper(se->ports(i).protocol());
      if (protocol.empty() || protocol == "TCP") {
        Report(out, kServiceEntryAddressesRequired, *resource, absl::StrCat("spec.ports[", i, "]"),
               "ServiceEntry addresses are required for this protocol.");
      }
    }
  }
}

// Mixer rules and instances whose expressions do not type-check against
// the attribute manifests (the same check Galley refuses them by).
void MixerExpressionAnalyzer(const AnalysisInput& input, std::vector<Diagnostic>& out) {
  for (Diagnostic& d : TypeCheckMixerConfig(input.resources)) out.push_back(std::move(d));
}

}  // namespace

const std::vector<Analyzer>& Analyzers() {
  static const auto* const kAnalyzers = new std::vector<Analyzer>{
      {"virtualservice.DestinationHostAnalyzer", DestinationHostAnalyzer},
      {"virtualservice.DestinationRuleAnalyzer", DestinationSubsetAnalyzer},
      {"virtualservice.GatewayAnalyzer", GatewayAnalyzer},
      {"virtualservice.ConflictingMeshGatewayHostsAnalyzer", ConflictingMeshGatewayHostsAnalyzer},
      {"gateway.ConflictingGatewayAnalyzer", ConflictingGatewaysAnalyzer},
      {"destinationrule.DestinationRuleAnalyzer", DestinationRuleAnalyzer},
      {"sidecar.SelectorAnalyzer", SidecarAnalyzer},
      {"serviceentry.ProtocolAddressesAnalyzer", ServiceEntryAddressesAnalyzer},
      {"mixer.ExpressionTypeAnalyzer", MixerExpressionAnalyzer},
  };
  return *kAnalyzers;
}

std::vector<Diagnostic> Analyze(const std::vector<const Resource*>& input,
                                const AnalysisOptions& options) {
  return Analyze(input, {}, options);
}

std::vector<Diagnostic> Analyze(const std::vector<const Resource*>& input,
                                const std::vector<const KubeObject*>& kube_objects,
                                const AnalysisOptions& options) {
  // The same kind/namespace/name given twice (alternative versions of one
  // object, as in Istio's samples) is one object: the later one, as
  // `kubectl apply` would leave it. It never conflicts with itself.
  AnalysisInput analysis{.all_versions = input, .kube_objects = kube_objects, .options = options};
  std::map<std::string, size_t> index;
  for (const Resource* r : input) {
    auto [it, inserted] = index.emplace(r->Key(), analysis.resources.size());
    if (inserted) {
      analysis.resources.push_back(r);
    } else {
      analysis.resources[it->second] = r;
    }
  }
  std::vector<Diagnostic> out;
  for (const Analyzer& analyzer : Analyzers()) analyzer.run(analysis, out);
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.position.file, a.position.line, a.position.column) <
           std::tie(b.position.file, b.position.line, b.position.column);
  });
  return out;
}

}  // namespace keel::mesh
