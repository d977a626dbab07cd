#include "libs/kube/access.h"

#include <cstdlib>
#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/common/files.h"
#include "libs/common/net.h"
#include "yaml-cpp/yaml.h"

namespace keel::kube {
namespace {

// SetServer parses "https://host:port" (port defaults by scheme).
absl::Status SetServer(const std::string& server, ClusterAccess& access) {
  absl::string_view rest = server;
  if (absl::ConsumePrefix(&rest, "https://")) {
    access.tls = true;
    access.port = 443;
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    access.tls = false;
    access.port = 80;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("server \"", server, "\": want https://host[:port]"));
  }
  rest = rest.substr(0, rest.find('/'));
  if (rest.empty()) return absl::InvalidArgumentError(absl::StrCat("server \"", server, "\" has no host"));
  const bool has_port = rest.back() != ']' && rest.rfind(':') != absl::string_view::npos;
  if (has_port) {
    absl::StatusOr<HostPort> host_port = ParseHostPort(std::string(rest));
    if (!host_port.ok()) return host_port.status();
    access.host = host_port->host;
    access.port = host_port->port;
  } else {
    access.host = std::string(absl::StripPrefix(absl::StripSuffix(rest, "]"), "["));
  }
  access.server = server;
  return absl::OkStatus();
}

// Named finds the entry called `name` in a kubeconfig list (clusters,
// users, contexts) and returns its `field` map.
YAML::Node Named(const YAML::Node& list, const std::string& name, const std::string& field) {
  if (!list.IsSequence()) return YAML::Node();
  for (const YAML::Node& entry : list) {
    if (entry.IsMap() && entry["name"] && entry["name"].as<std::string>() == name) {
      return entry[field];
    }
  }
  return YAML::Node();
}

std::string Text(const YAML::Node& map, const std::string& key) {
  if (!map.IsMap() || !map[key] || !map[key].IsScalar()) return "";
  return map[key].as<std::string>();
}

// DataOrFile reads "<key>-data" (base64) or "<key>" (a path, relative to the
// kubeconfig's folder).
absl::StatusOr<std::string> DataOrFile(const YAML::Node& map, const std::string& key,
                                       const std::string& where, const std::string& base_dir) {
  const std::string data = Text(map, key + "-data");
  if (!data.empty()) {
    std::string decoded;
    if (!absl::Base64Unescape(data, &decoded)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".", key, "-data: not base64"));
    }
    return decoded;
  }
  std::string path = Text(map, key);
  if (path.empty()) return std::string();
  if (path[0] != '/') path = (std::filesystem::path(base_dir) / path).string();
  absl::StatusOr<std::string> content = ReadWholeFile(path);
  if (!content.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".", key, ": ", content.status().message()));
  }
  return content;
}

}  // namespace

absl::StatusOr<std::string> ClusterAccess::BearerToken() const {
  if (token_file.empty()) return token;
  absl::StatusOr<std::string> content = ReadWholeFile(token_file);
  if (!content.ok()) {
    return absl::UnavailableError(
        absl::StrCat("service-account token ", token_file, ": ", content.status().message()));
  }
  return std::string(absl::StripAsciiWhitespace(*content));
}

absl::StatusOr<ClusterAccess> LoadKubeconfig(const std::string& path, const std::string& context) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", path, ": ", text.status().message()));
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", e.mark.line + 1, ": not YAML: ", e.msg));
  }
  if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat(path, ": not a kubeconfig"));
  const std::string context_name = context.empty() ? Text(root, "current-context") : context;
  if (context_name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no current-context and none asked for"));
  }
  const YAML::Node ctx = Named(root["contexts"], context_name, "context");
  if (!ctx.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": contexts: no context \"", context_name, "\""));
  }
  const std::string cluster_name = Text(ctx, "cluster");
  const std::string user_name = Text(ctx, "user");
  const YAML::Node cluster = Named(root["clusters"], cluster_name, "cluster");
  if (!cluster.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": clusters: no cluster \"", cluster_name,
                                                   "\" (named by context \"", context_name, "\")"));
  }
  ClusterAccess access;
  access.origin = absl::StrCat("kubeconfig ", path, " (context ", context_name, ")");
  const std::string where_cluster = absl::StrCat(path, ": clusters[", cluster_name, "].cluster");
  if (absl::Status s = SetServer(Text(cluster, "server"), access); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where_cluster, ".", s.message()));
  }
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  absl::StatusOr<std::string> ca = DataOrFile(cluster, "certificate-authority", where_cluster, base_dir);
  if (!ca.ok()) return ca.status();
  access.ca_pem = *ca;
  if (!user_name.empty()) {
    const YAML::Node user = Named(root["users"], user_name, "user");
    if (!user.IsMap()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": users: no user \"", user_name, "\""));
    }
    const std::string where_user = absl::StrCat(path, ": users[", user_name, "].user");
    absl::StatusOr<std::string> cert = DataOrFile(user, "client-certificate", where_user, base_dir);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = DataOrFile(user, "client-key", where_user, base_dir);
    if (!key.ok()) return key.status();
    if (cert->empty() != key->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where_user, ": client-certificate and client-key go together"));
    }
    access.client_cert_pem = *cert;
    access.client_key_pem = *key;
    access.token = Text(user, "token");
    access.token_file = Text(user, "tokenFile");
    if (!access.token_file.empty() && access.token_file[0] != '/') {
      access.token_file = (std::filesystem::path(base_dir) / access.token_file).string();
    }
    if (user["exec"] || user["auth-provider"]) {
      return absl::InvalidArgumentError(
          absl::StrCat(where_user, ": exec and auth-provider plugins are not supported; use a "
                                   "token, tokenFile or client certificate"));
    }
  }
  if (access.tls && access.ca_pem.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where_cluster, ": no certificate-authority(-data): Keel verifies the API server"));
  }
  return access;
}

absl::StatusOr<ClusterAccess> InClusterAccess(const InClusterFiles& files) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0') {
    return absl::FailedPreconditionError(
        "not in a cluster (KUBERNETES_SERVICE_HOST/PORT unset) and no kubeconfig given");
  }
  ClusterAccess access;
  uint32_t port_number = 0;
  if (!absl::SimpleAtoi(port, &port_number) || port_number == 0 || port_number > 65535) {
    return absl::FailedPreconditionError(absl::StrCat("KUBERNETES_SERVICE_PORT \"", port, "\" is not a port"));
  }
  const std::string server =
      absl::StrCat("https://", JoinHostPort(host, static_cast<uint16_t>(port_number)));
  if (absl::Status s = SetServer(server, access); !s.ok()) return s;
  absl::StatusOr<std::string> ca = ReadWholeFile(files.ca);
  if (!ca.ok()) return absl::FailedPreconditionError(absl::StrCat("in-cluster CA ", files.ca, ": ", ca.status().message()));
  access.ca_pem = *ca;
  access.token_file = files.token;
  access.origin = absl::StrCat("in-cluster service account (", files.token, ")");
  if (absl::StatusOr<std::string> token = access.BearerToken(); !token.ok()) return token.status();
  return access;
}

absl::StatusOr<ClusterAccess> ResolveAccess(const std::string& kubeconfig, const std::string& context) {
  if (!kubeconfig.empty()) return LoadKubeconfig(kubeconfig, context);
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    std::string first(env);
    first = first.substr(0, first.find(':'));  // the first file of a list
    return LoadKubeconfig(first, context);
  }
  return InClusterAccess();
}

}  // namespace keel::kube
