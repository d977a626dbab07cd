// Validator for networking.istio.io Gateway.
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/mesh/validation/field_path.h"
#include "libs/mesh/validation/rules.h"
#include "libs/mesh/validation/validators.h"
#include "proto/istio/networking/v1alpha3/gateway.pb.h"

namespace keel::mesh::validation {

namespace net = ::istio::networking::v1alpha3;

void ValidateGateway(const Resource& resource, FieldErrors& errors) {
  const auto& gw = resource.SpecAs<net::Gateway>();
  if (gw.servers_size() == 0) errors.Error("spec.servers", "gateway must have at least one server");
  std::set<std::string> port_names;
  for (int i = 0; i < gw.servers_size(); ++i) {
    const auto& server = gw.servers(i);
    const std::string field = At("spec.servers", i);
    if (server.hosts_size() == 0)
      errors.Error(Dot(field, "hosts"), "server config must contain at least one host");
    for (int j = 0; j < server.hosts_size(); ++j) {
      const std::string& host = server.hosts(j);
      // Gateway hosts are "[namespace/]dnsName".
      Check(errors, At(field + ".hosts", j), CheckNamespacedHost(host, /*gateway=*/true));
    }
    if (!server.has_port()) {
      errors.Error(Dot(field, "port"), "port is required");
    } else {
      const auto& port = server.port();
      Check(errors, Dot(field, "port.number"), CheckPort(port.number()));
      if (port.protocol().empty())
        errors.Error(Dot(field, "port.protocol"), "protocol must be set for server port");
      if (port.name().empty()) {
        errors.Error(Dot(field, "port.name"), "port name must be set");
      } else if (!port_names.insert(port.name()).second) {
        errors.Error(Dot(field, "port.name"),
                     absl::StrCat("port names in servers must be unique: duplicate name \"",
                                  port.name(), "\""));
      }
      const std::string protocol = absl::AsciiStrToUpper(port.protocol());
      static const std::set<std::string> kProtocols = {"HTTP",  "HTTPS", "GRPC",  "GRPC-WEB",
                                                       "HTTP2", "MONGO", "REDIS", "MYSQL",
                                                       "TCP",   "TLS",   "UDP"};
      if (!port.protocol().empty() && kProtocols.count(protocol) == 0) {
        errors.Error(Dot(field, "port.protocol"),
                     absl::StrCat("unrecognized protocol \"", port.protocol(), "\""));
      }
      if ((protocol == "HTTPS" || protocol == "TLS") && !server.has_tls()) {
        errors.Error(Dot(field, "tls"), "server must have TLS settings for HTTPS/TLS protocols");
      }
    }
    if (server.has_tls()) {
      const auto& tls = server.tls();
      const std::string base = Dot(field, "tls");
      using TLS = net::ServerTLSSettings;
      if ((tls.mode() == TLS::SIMPLE || tls.mode() == TLS::MUTUAL) &&
          tls.credential_name().empty() && tls.credential_names_size() == 0 &&
          tls.tls_certificates_size() == 0) {
        if (tls.server_certificate().empty())
          errors.Error(Dot(base, "serverCertificate"), "server certificate required for " +
                                                           TLS::TLSmode_Name(tls.mode()) + " mode");
        if (tls.private_key().empty())
          errors.Error(Dot(base, "privateKey"),
                       "private key required for " + TLS::TLSmode_Name(tls.mode()) + " mode");
        if (tls.mode() == TLS::MUTUAL && tls.ca_certificates().empty()) {
          errors.Error(Dot(base, "caCertificates"), "client CA bundle required for MUTUAL mode");
        }
      }
    }
    if (!server.bind().empty()) {
      if (CheckIp(server.bind()).empty() == false && !absl::StartsWith(server.bind(), "unix://")) {
        errors.Error(
            Dot(field, "bind"),
            absl::StrCat("\"", server.bind(), "\" is not a valid IP address or unix socket"));
      }
    }
  }
  Check(
      errors, "spec.selector",
      CheckLabels(std::map<std::string, std::string>(gw.selector().begin(), gw.selector().end())));
}

}  // namespace keel::mesh::validation
