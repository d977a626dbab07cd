#include "integration/harness/containers.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "integration/harness/mesh.h"
#include "libs/common/files.h"
#include "libs/common/yaml_json.h"

namespace keel::testing {
namespace {

bool IsMap(const YAML::Node& node) { return node && node.IsMap(); }
bool IsSequence(const YAML::Node& node) { return node && node.IsSequence(); }
std::string Text(const YAML::Node& map, const char* key) {
  return IsMap(map) && map[key] && map[key].IsScalar() ? map[key].Scalar() : "";
}

// Selects reports whether `selector` (a Service's) matches `labels`.
bool Selects(const YAML::Node& selector, const YAML::Node& labels) {
  if (!IsMap(selector) || selector.size() == 0) return false;
  for (const auto& entry : selector) {
    if (Text(labels, entry.first.Scalar().c_str()) != entry.second.Scalar()) return false;
  }
  return true;
}

// A MAC of its own for an address: when every container of a pod has
// exited, podman stops the pod, and a pod started again (or a network
// connected again) would come back with a new random MAC while its peers'
// neighbor caches hold the old one (its packets lost for 15-30 s). In
// Kubernetes the pod's sandbox outlives its containers; a fixed MAC keeps
// that true here.
std::string MacFor(const std::string& ip) {
  std::vector<std::string> octets = absl::StrSplit(ip, '.');
  std::string mac = "02:6b:65";  // locally administered
  for (size_t i = 1; i < 4; ++i) {
    int value = 0;
    if (i < octets.size()) (void)absl::SimpleAtoi(octets[i], &value);
    absl::StrAppend(&mac, absl::StrFormat(":%02x", value & 0xff));
  }
  return mac;
}

}  // namespace


absl::StatusOr<std::unique_ptr<ContainerHost>> ContainerHost::Start() {
  if (access("/usr/bin/podman", X_OK) != 0 || access("/usr/bin/buildah", X_OK) != 0) {
    return absl::FailedPreconditionError("podman and buildah are not installed: run scripts/install-deps.sh");
  }
  static std::atomic<int> counter{0};
  auto host = std::unique_ptr<ContainerHost>(new ContainerHost());
  const int n = counter++;
  // Under /tmp, short: conmon's attach sockets live in the run root, and a
  // unix socket path holds 108 bytes.
  host->root_ = absl::StrCat("/tmp/keel-podman-", getpid(), "-", n);
  std::filesystem::remove_all(host->root_);
  std::filesystem::create_directories(host->root_);
  if (absl::Status s = WriteFileAtomically(host->root_ + "/storage.conf", absl::StrCat(R"([storage]
driver = "overlay"
graphroot = ")", host->root_, R"(/graph"
runroot = ")", host->root_, R"(/run"
)")); !s.ok()) {
    return s;
  }
  host->env_ = {"CONTAINERS_CONF=" + RunfilePath("tools/containers/containers.conf"),
                "CONTAINERS_STORAGE_CONF=" + host->root_ + "/storage.conf"};
  // A /24 of 10.0.0.0/8 that no route of this machine and no podman
  // network uses.
  CommandResult routes = RunToCompletion("/usr/sbin/ip", {"-4", "route"}).value_or(CommandResult{});
  CommandResult networks = host->Podman({"network", "ls", "--format", "{{.Name}} {{range .Subnets}}{{.Subnet}} {{end}}"});
  std::mt19937 random(static_cast<uint32_t>(getpid() * 7919 + n));
  for (int attempt = 0; attempt < 50 && host->prefix_.empty(); ++attempt) {
    const std::string prefix = absl::StrCat("10.", 200 + random() % 50, ".", random() % 256, ".");
    if (absl::StrContains(routes.out, prefix) || absl::StrContains(networks.out, prefix) ||
        absl::StrContains(routes.out, prefix.substr(0, prefix.rfind('.', prefix.size() - 2) + 1) + "0.0/16")) {
      continue;
    }
    host->prefix_ = prefix;
  }
  if (host->prefix_.empty()) return absl::UnavailableError("no free 10.x.y.0/24 for a podman network");
  host->network_ = absl::StrCat("keel-", getpid(), "-", n);
  CommandResult made = host->Podman({"network", "create", "--subnet", host->prefix_ + "0/24", host->network_});
  if (made.exit.status != 0) {
    return absl::UnavailableError(absl::StrCat("podman network create: ", made.err));
  }
  return host;
}

void ContainerHost::RemovePods() {
  Podman({"pod", "rm", "--all", "--force", "--time", "5"});
  Podman({"rm", "--all", "--force", "--time", "5"});
  Podman({"volume", "rm", "--all", "--force"});
}

ContainerHost::~ContainerHost() {
  // Everything it made: pods and containers, volumes, the network, the
  // images and the storage.
  RemovePods();
  if (!network_.empty()) Podman({"network", "rm", "--force", network_});
  Podman({"rmi", "--all", "--force"});
  // Not `podman system reset`: it would remove every network of the machine.
  std::filesystem::remove_all(root_);
}

CommandResult ContainerHost::Podman(const std::vector<std::string>& args, absl::Duration timeout) {
  absl::StatusOr<CommandResult> run = RunToCompletion("/usr/bin/podman", args, timeout, "", env_);
  if (!run.ok()) return CommandResult{.exit = {}, .out = "", .err = std::string(run.status().message())};
  return *run;
}

absl::StatusOr<std::string> ContainerHost::BuildImages(const std::string& version,
                                                       const std::vector<std::string>& specs,
                                                       const std::string& archive_dir) {
  std::vector<std::string> args = {RunfilePath("tools/images/build_images.sh"), "--version=" + version,
                                   "--revision=test"};
  if (!archive_dir.empty()) args.push_back("--out=" + archive_dir);
  args.insert(args.end(), specs.begin(), specs.end());
  absl::StatusOr<CommandResult> built = RunToCompletion("/bin/bash", args, absl::Minutes(5), "", env_);
  if (!built.ok()) return built.status();
  if (built->exit.status != 0) {
    return absl::InternalError(absl::StrCat("build_images.sh (", built->exit.ToString(), "): ", built->err));
  }
  return built->out;
}

std::string ContainerHost::Address(int host) const { return absl::StrCat(prefix_, host); }

absl::Status ContainerHost::Play(const std::string& yaml, const std::string& ip) {
  const std::string file = absl::StrCat(root_, "/play-", ip, ".yaml");
  if (absl::Status s = WriteFileAtomically(file, yaml); !s.ok()) return s;
  CommandResult played =
      Podman({"kube", "play", "--network", network_, "--ip", ip, "--mac-address", MacFor(ip), file});
  if (played.exit.status != 0) {
    return absl::InternalError(absl::StrCat("podman kube play (", played.exit.ToString(), "): ",
                                            played.err.substr(0, 3000), "\n", yaml));
  }
  return absl::OkStatus();
}

absl::Status ContainerHost::Disconnect(const std::string& pod) {
  CommandResult infra = Podman({"pod", "inspect", pod, "--format", "{{.InfraContainerID}}"});
  if (infra.exit.status != 0) return absl::NotFoundError(absl::StrCat("pod ", pod, ": ", infra.err));
  CommandResult cut = Podman({"network", "disconnect", network_,
                              std::string(absl::StripTrailingAsciiWhitespace(infra.out))});
  if (cut.exit.status != 0) return absl::InternalError(absl::StrCat("podman network disconnect: ", cut.err));
  return absl::OkStatus();
}

absl::Status ContainerHost::Reconnect(const std::string& pod, const std::string& ip) {
  CommandResult infra = Podman({"pod", "inspect", pod, "--format", "{{.InfraContainerID}}"});
  if (infra.exit.status != 0) return absl::NotFoundError(absl::StrCat("pod ", pod, ": ", infra.err));
  CommandResult joined = Podman({"network", "connect", "--ip", ip, "--mac-address", MacFor(ip), network_,
                                 std::string(absl::StripTrailingAsciiWhitespace(infra.out))});
  if (joined.exit.status != 0) return absl::InternalError(absl::StrCat("podman network connect: ", joined.err));
  return absl::OkStatus();
}

std::string ContainerHost::State(const std::string& container) {
  CommandResult state = Podman({"inspect", container, "--format", "{{.State.Status}} {{.State.ExitCode}}"});
  return state.exit.status == 0 ? std::string(absl::StripTrailingAsciiWhitespace(state.out)) : "";
}

absl::StatusOr<ChartPods> ChartPods::Parse(const std::string& rendered, const std::string& namespace_name) {
  ChartPods pods;
  pods.namespace_ = namespace_name;
  if (absl::Status s = pods.Add(rendered); !s.ok()) return s;
  return pods;
}

absl::Status ChartPods::Add(const std::string& rendered) {
  ChartPods& pods = *this;
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(rendered);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("rendered chart: line ", e.mark.line + 1, ": ", e.msg));
  }
  for (YAML::Node& doc : docs) {
    const std::string kind = Text(doc, "kind");
    if (kind == "ConfigMap") {
      pods.config_maps_.push_back(doc);
    } else if (kind == "Secret") {
      // Played as a ConfigMap of the decoded data (see the header).
      YAML::Node as_map;
      as_map["apiVersion"] = "v1";
      as_map["kind"] = "ConfigMap";
      as_map["metadata"]["name"] = Text(doc["metadata"], "name");
      const YAML::Node data = doc["data"];
      for (const auto& entry : IsMap(data) ? data : YAML::Node(YAML::NodeType::Map)) {
        std::string decoded;
        if (!absl::Base64Unescape(entry.second.Scalar(), &decoded)) {
          return absl::InvalidArgumentError(absl::StrCat("Secret ", Text(doc["metadata"], "name"), ": data.",
                                                         entry.first.Scalar(), " is not base64"));
        }
        as_map["data"][entry.first.Scalar()] = decoded;
      }
      if (IsMap(doc["stringData"])) {
        for (const auto& entry : doc["stringData"]) as_map["data"][entry.first.Scalar()] = entry.second.Scalar();
      }
      pods.config_maps_.push_back(as_map);
    } else if (kind == "PersistentVolumeClaim") {
      pods.claims_.push_back(doc);
    } else if (kind == "Service") {
      pods.services_.push_back(doc);
    } else if (kind == "Deployment") {
      pods.deployments_.emplace_back(Text(doc["metadata"], "name"), doc);
    } else if (kind == "StatefulSet") {
      // Each replica as a Deployment of its own, named as the StatefulSet
      // names its pods, its claims as volumes of its own, and its stable
      // name under the governing Service.
      const std::string set_name = Text(doc["metadata"], "name");
      const int replicas = doc["spec"]["replicas"] ? doc["spec"]["replicas"].as<int>() : 1;
      for (int i = 0; i < replicas; ++i) {
        const std::string pod_name = absl::StrCat(set_name, "-", i);
        YAML::Node replica;
        replica["apiVersion"] = "apps/v1";
        replica["kind"] = "Deployment";
        replica["metadata"]["name"] = pod_name;
        replica["metadata"]["namespace"] = Text(doc["metadata"], "namespace");
        replica["spec"]["replicas"] = 1;
        YAML::Node templ = YAML::Clone(doc["spec"]["template"]);
        templ["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] = pod_name;
        replica["spec"]["selector"]["matchLabels"] = templ["metadata"]["labels"];
        if (IsSequence(doc["spec"]["volumeClaimTemplates"])) {
          for (const YAML::Node& claim : doc["spec"]["volumeClaimTemplates"]) {
            YAML::Node volume;
            volume["name"] = Text(claim["metadata"], "name");
            volume["emptyDir"] = YAML::Node(YAML::NodeType::Map);
            templ["spec"]["volumes"].push_back(volume);
          }
        }
        replica["spec"]["template"] = templ;
        pods.pod_names_[pod_name] = pod_name;
        pods.stable_names_[pod_name] = Text(doc["spec"], "serviceName");
        pods.deployments_.emplace_back(pod_name, replica);
      }
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> ChartPods::Deployments() const {
  std::vector<std::string> names;
  for (const auto& [name, doc] : deployments_) names.push_back(name);
  return names;
}

YAML::Node ChartPods::Deployment(const std::string& name) const {
  for (const auto& [deployment, doc] : deployments_) {
    if (deployment == name) return doc;
  }
  return YAML::Node();
}

absl::StatusOr<std::string> ChartPods::PodYaml(const std::string& name) const {
  YAML::Node deployment = YAML::Clone(Deployment(name));
  if (!deployment) return absl::NotFoundError(absl::StrCat("no Deployment ", name));
  deployment["spec"]["replicas"] = 1;
  YAML::Node pod = deployment["spec"]["template"]["spec"];
  // Each Service at the address of the Deployment it selects.
  YAML::Node aliases(YAML::NodeType::Sequence);
  for (const YAML::Node& service : services_) {
    const YAML::Node selector = service["spec"]["selector"];
    for (const auto& [other, doc] : deployments_) {
      auto ip = ip_of_.find(other);
      if (ip == ip_of_.end() || !Selects(selector, doc["spec"]["template"]["metadata"]["labels"])) continue;
      const std::string service_name = Text(service["metadata"], "name");
      YAML::Node alias;
      alias["ip"] = ip->second;
      for (const std::string& host :
           {service_name, absl::StrCat(service_name, ".", namespace_),
            absl::StrCat(service_name, ".", namespace_, ".svc"),
            absl::StrCat(service_name, ".", namespace_, ".svc.cluster.local")}) {
        alias["hostnames"].push_back(host);
      }
      aliases.push_back(alias);
      break;
    }
  }
  // A StatefulSet's pods by their stable names: <pod>.<service>.<ns>.svc.
  for (const auto& [other, service_name] : stable_names_) {
    auto ip = ip_of_.find(other);
    if (ip == ip_of_.end() || service_name.empty()) continue;
    YAML::Node alias;
    alias["ip"] = ip->second;
    alias["hostnames"].push_back(absl::StrCat(other, ".", service_name, ".", namespace_, ".svc"));
    alias["hostnames"].push_back(absl::StrCat(other, ".", service_name, ".", namespace_, ".svc.cluster.local"));
    aliases.push_back(alias);
  }
  if (aliases.size() > 0) pod["hostAliases"] = aliases;
  // Volumes: emptyDirs named after the pod, Secrets as their ConfigMaps.
  std::map<std::string, std::string> renamed;
  std::set<std::string> config_maps, claims;
  if (IsSequence(pod["volumes"])) {
    for (YAML::Node volume : pod["volumes"]) {
      const std::string volume_name = Text(volume, "name");
      if (volume["emptyDir"]) {
        renamed[volume_name] = absl::StrCat(name, "-", volume_name);
        volume["name"] = renamed[volume_name];
        volume["emptyDir"] = YAML::Node(YAML::NodeType::Map);  // medium: Memory is podman's tmpfs
      } else if (volume["secret"]) {
        YAML::Node config_map;
        config_map["name"] = Text(volume["secret"], "secretName");
        if (volume["secret"]["defaultMode"]) config_map["defaultMode"] = volume["secret"]["defaultMode"];
        if (volume["secret"]["items"]) config_map["items"] = volume["secret"]["items"];
        volume.remove("secret");
        volume["configMap"] = config_map;
      }
      if (volume["configMap"]) {
        config_maps.insert(Text(volume["configMap"], "name"));
        // podman 4.3 dereferences `optional` without checking it is set.
        volume["configMap"]["optional"] = false;
      }
      if (volume["persistentVolumeClaim"]) claims.insert(Text(volume["persistentVolumeClaim"], "claimName"));
    }
  }
  for (const char* list : {"containers", "initContainers"}) {
    if (!IsSequence(pod[list])) continue;
    for (YAML::Node container : pod[list]) {
      // podman 4.3 publishes every containerPort on the machine's own
      // ports; each pod has its own address here, so none is published.
      container.remove("ports");
      // The downward API podman 4.3 lacks (metadata.namespace,
      // status.podIP): the values the kubelet would give.
      if (IsSequence(container["env"])) {
        for (YAML::Node var : container["env"]) {
          const YAML::Node field = var["valueFrom"] ? var["valueFrom"]["fieldRef"] : YAML::Node();
          if (!IsMap(field)) continue;
          const std::string path = Text(field, "fieldPath");
          std::string value;
          if (path == "metadata.namespace") {
            value = namespace_;
          } else if (path == "metadata.name") {
            value = pod_names_.count(name) > 0 ? pod_names_.at(name) : name + "-pod-0";
          } else if (path == "status.podIP" && ip_of_.count(name) > 0) {
            value = ip_of_.at(name);
          } else {
            continue;
          }
          var.remove("valueFrom");
          var["value"] = value;
        }
      }
      // Probes name ports that are gone; the test asks them itself
      // (ProbeUrl), as the kubelet would.
      for (const char* probe : {"readinessProbe", "livenessProbe", "startupProbe"}) container.remove(probe);
      // $(VAR) in command and args, as the kubelet expands it.
      std::map<std::string, std::string> literal;
      if (IsSequence(container["env"])) {
        for (const YAML::Node& var : container["env"]) {
          if (var["value"]) literal[Text(var, "name")] = Text(var, "value");
        }
      }
      for (const char* field : {"command", "args"}) {
        if (!IsSequence(container[field])) continue;
        for (size_t i = 0; i < container[field].size(); ++i) {
          std::string word = container[field][i].Scalar();
          for (const auto& [var_name, value] : literal) {
            word = absl::StrReplaceAll(word, {{absl::StrCat("$(", var_name, ")"), value}});
          }
          container[field][i] = word;
        }
      }
      if (!IsSequence(container["volumeMounts"])) continue;
      for (YAML::Node mount : container["volumeMounts"]) {
        auto it = renamed.find(Text(mount, "name"));
        if (it != renamed.end()) mount["name"] = it->second;
      }
    }
  }
  std::vector<std::string> docs;
  for (const YAML::Node& config_map : config_maps_) {
    if (config_maps.count(Text(config_map["metadata"], "name")) > 0) docs.push_back(YamlToJson(config_map));
  }
  for (const YAML::Node& claim : claims_) {
    if (claims.count(Text(claim["metadata"], "name")) > 0) docs.push_back(YamlToJson(claim));
  }
  docs.push_back(YamlToJson(deployment));
  return absl::StrJoin(docs, "\n---\n");
}

std::string ChartPods::ProbeUrl(const std::string& deployment, const std::string& container_name,
                                const std::string& probe) const {
  auto ip = ip_of_.find(deployment);
  const YAML::Node doc = Deployment(deployment);
  if (ip == ip_of_.end() || !doc) return "";
  for (const YAML::Node& container : doc["spec"]["template"]["spec"]["containers"]) {
    if (Text(container, "name") != container_name) continue;
    const YAML::Node get = container[probe] ? container[probe]["httpGet"] : YAML::Node();
    if (!IsMap(get)) return "";
    std::string port = Text(get, "port");
    if (IsSequence(container["ports"])) {
      for (const YAML::Node& p : container["ports"]) {
        if (Text(p, "name") == port) port = Text(p, "containerPort");
      }
    }
    return absl::StrCat("http://", ip->second, ":", port, Text(get, "path"));
  }
  return "";
}

}  // namespace keel::testing
