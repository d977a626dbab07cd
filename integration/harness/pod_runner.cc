#include "integration/harness/pod_runner.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "integration/harness/mesh.h"
#include "libs/common/files.h"
#include "yaml-cpp/yaml.h"

namespace keel::testing {
namespace {

std::string Text(const YAML::Node& map, const char* key) {
  return map && map.IsMap() && map[key] && map[key].IsScalar() ? map[key].Scalar() : "";
}

bool IsSequence(const YAML::Node& node) { return node && node.IsSequence(); }

// Expand replaces $(NAME) by its value where NAME is defined, "$$" by "$",
// and leaves other references as written (Kubernetes' expansion rules).
std::string Expand(const std::string& text, const std::map<std::string, std::string>& vars) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 == text.size()) {
      out += text[i];
    } else if (text[i + 1] == '$') {
      out += '$';
      ++i;
    } else if (text[i + 1] == '(') {
      const size_t close = text.find(')', i + 2);
      const std::string name =
          close == std::string::npos ? "" : text.substr(i + 2, close - i - 2);
      auto it = vars.find(name);
      if (it == vars.end()) {
        out += text[i];
      } else {
        out += it->second;
        i = close;
      }
    } else {
      out += text[i];
    }
  }
  return out;
}

// FieldOf resolves an env var's fieldRef against the pod.
absl::StatusOr<std::string> FieldOf(const YAML::Node& pod, const std::string& path) {
  const YAML::Node metadata = pod["metadata"];
  if (path == "metadata.name") return Text(metadata, "name");
  if (path == "metadata.namespace") return Text(metadata, "namespace");
  if (path == "metadata.uid") return Text(metadata, "uid");
  if (path == "spec.nodeName") return Text(pod["spec"], "nodeName");
  if (path == "spec.serviceAccountName") return Text(pod["spec"], "serviceAccountName");
  if (path == "status.podIP") return Text(pod["status"], "podIP");
  if (path == "status.hostIP") return Text(pod["status"], "hostIP");
  for (const char* map : {"labels", "annotations"}) {
    const std::string prefix = absl::StrCat("metadata.", map, "['");
    if (absl::StartsWith(path, prefix) && absl::EndsWith(path, "']")) {
      const std::string key = path.substr(prefix.size(), path.size() - prefix.size() - 2);
      return Text(metadata[map], key.c_str());
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("env fieldRef ", path, ": not resolved here"));
}

// Fill writes the data of a Secret or ConfigMap (base64 for a Secret) into
// `dir`, each key a file with `mode`.
absl::Status Fill(KubeCluster& cluster, const std::string& ns, const std::string& kind,
                  const std::string& name, const std::string& dir, int mode) {
  CommandResult got = cluster.Kubectl({"get", kind, name, "-n", ns, "-o", "json"});
  if (got.exit.status != 0) return absl::NotFoundError(absl::StrCat(kind, " ", ns, "/", name, ": ", got.err));
  const YAML::Node object = YAML::Load(got.out);
  const YAML::Node data = object["data"];
  if (!data || !data.IsMap()) return absl::OkStatus();
  for (const auto& entry : data) {
    std::string content = entry.second.Scalar();
    if (kind == "secret" && !absl::Base64Unescape(entry.second.Scalar(), &content)) {
      return absl::InvalidArgumentError(absl::StrCat(kind, " ", name, ": data.", entry.first.Scalar(),
                                                     " is not base64"));
    }
    if (absl::Status s = WriteFileAtomically(dir + "/" + entry.first.Scalar(), content, mode); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

// Project fills a projected volume (the service-account token volume every
// pod gets): a token from the TokenRequest API, ConfigMap items, and
// downward-API items.
absl::Status Project(KubeCluster& cluster, const YAML::Node& pod, const YAML::Node& sources,
                     const std::string& dir) {
  const std::string ns = Text(pod["metadata"], "namespace");
  for (const YAML::Node& source : sources) {
    if (const YAML::Node token = source["serviceAccountToken"]; token) {
      std::vector<std::string> args = {"create", "token", Text(pod["spec"], "serviceAccountName"), "-n", ns};
      if (const std::string audience = Text(token, "audience"); !audience.empty()) {
        args.push_back("--audience=" + audience);
      }
      CommandResult made = cluster.Kubectl(args);
      if (made.exit.status != 0) return absl::InternalError(absl::StrCat("kubectl create token: ", made.err));
      if (absl::Status s = WriteFileAtomically(absl::StrCat(dir, "/", Text(token, "path")), made.out, 0600); !s.ok()) {
        return s;
      }
    } else if (const YAML::Node config_map = source["configMap"]; config_map) {
      const std::string staged = dir + "/.configmap";
      std::filesystem::create_directories(staged);
      if (absl::Status s = Fill(cluster, ns, "configmap", Text(config_map, "name"), staged, 0644); !s.ok()) return s;
      if (IsSequence(config_map["items"])) {
        for (const YAML::Node& item : config_map["items"]) {
          std::filesystem::copy_file(absl::StrCat(staged, "/", Text(item, "key")),
                                     absl::StrCat(dir, "/", Text(item, "path")),
                                     std::filesystem::copy_options::overwrite_existing);
        }
      }
    } else if (const YAML::Node downward = source["downwardAPI"]; downward && IsSequence(downward["items"])) {
      for (const YAML::Node& item : downward["items"]) {
        absl::StatusOr<std::string> value = FieldOf(pod, Text(item["fieldRef"], "fieldPath"));
        if (!value.ok()) return value.status();
        if (absl::Status s = WriteFileAtomically(absl::StrCat(dir, "/", Text(item, "path")), *value, 0644); !s.ok()) {
          return s;
        }
      }
    } else {
      return absl::InvalidArgumentError("a projected source other than serviceAccountToken, configMap or downwardAPI");
    }
  }
  return absl::OkStatus();
}

}  // namespace

RunningContainer* RunningPod::Find(const std::string& name) {
  for (RunningContainer& container : containers) {
    if (container.name == name) return &container;
  }
  return nullptr;
}

absl::StatusOr<std::unique_ptr<RunningPod>> PodRunner::Run(const std::string& namespace_name,
                                                           const std::string& name) {
  CommandResult got = cluster_.Kubectl({"get", "pod", name, "-n", namespace_name, "-o", "json"});
  if (got.exit.status != 0) return absl::NotFoundError(absl::StrCat("pod ", name, ": ", got.err));
  const YAML::Node pod = YAML::Load(got.out);
  const YAML::Node spec = pod["spec"];
  auto running = std::make_unique<RunningPod>();
  running->volumes_dir = TestTempDir(absl::StrCat("pod-", name));

  std::map<std::string, std::string> volume_dirs;
  if (IsSequence(spec["volumes"])) {
    for (const YAML::Node& volume : spec["volumes"]) {
      const std::string volume_name = Text(volume, "name");
      const std::string dir = absl::StrCat(running->volumes_dir, "/", volume_name);
      std::filesystem::create_directories(dir);
      volume_dirs[volume_name] = dir;
      absl::Status filled;
      if (volume["emptyDir"]) {
        filled = absl::OkStatus();
      } else if (volume["secret"]) {
        const YAML::Node secret = volume["secret"];
        const std::string mode = Text(secret, "defaultMode");
        filled = Fill(cluster_, namespace_name, "secret", Text(secret, "secretName"), dir,
                      mode.empty() ? 0644 : std::stoi(mode));
      } else if (volume["configMap"]) {
        const YAML::Node config_map = volume["configMap"];
        const std::string mode = Text(config_map, "defaultMode");
        filled = Fill(cluster_, namespace_name, "configmap", Text(config_map, "name"), dir,
                      mode.empty() ? 0644 : std::stoi(mode));
      } else if (volume["projected"] && IsSequence(volume["projected"]["sources"])) {
        filled = Project(cluster_, pod, volume["projected"]["sources"], dir);
      } else {
        filled = absl::InvalidArgumentError(absl::StrCat(
            "spec.volumes[", volume_name, "]: only emptyDir, secret, configMap and projected are made here"));
      }
      if (!filled.ok()) return filled;
    }
  }

  for (const YAML::Node& container : spec["containers"]) {
    RunningContainer run{.name = Text(container, "name")};
    const std::string where = absl::StrCat("spec.containers[", run.name, "]");
    if (container["command"]) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".command: only an image's own entrypoint runs here"));
    }
    const std::string image = Text(container, "image");
    const std::string repository = image.substr(0, image.rfind(':') > image.rfind('/') ? image.rfind(':') : image.size());
    auto program = options_.programs.find(repository);
    if (program == options_.programs.end()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".image ", image, ": no program for it"));
    }
    // Each mount path, longest first, becomes its volume's folder.
    std::vector<std::pair<std::string, std::string>> mounts;
    if (IsSequence(container["volumeMounts"])) {
      for (const YAML::Node& mount : container["volumeMounts"]) {
        auto dir = volume_dirs.find(Text(mount, "name"));
        if (dir == volume_dirs.end()) {
          return absl::InvalidArgumentError(absl::StrCat(where, ".volumeMounts: no volume ", Text(mount, "name")));
        }
        std::string target = dir->second;
        if (const std::string sub = Text(mount, "subPath"); !sub.empty()) absl::StrAppend(&target, "/", sub);
        mounts.emplace_back(Text(mount, "mountPath"), target);
      }
    }
    std::sort(mounts.begin(), mounts.end(),
              [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    auto localize = [&](std::string text) {
      for (const auto& [path, dir] : mounts) text = absl::StrReplaceAll(text, {{path, dir}});
      for (const auto& [from, to] : options_.rewrites) text = absl::StrReplaceAll(text, {{from, to}});
      return text;
    };
    std::map<std::string, std::string> vars;
    std::vector<std::string> env_names;
    if (IsSequence(container["env"])) {
      for (const YAML::Node& var : container["env"]) {
        const std::string var_name = Text(var, "name");
        std::string value;
        if (var["valueFrom"]) {
          const YAML::Node field = var["valueFrom"]["fieldRef"];
          if (!field) {
            return absl::InvalidArgumentError(absl::StrCat(where, ".env[", var_name, "]: only fieldRef is resolved here"));
          }
          absl::StatusOr<std::string> resolved = FieldOf(pod, Text(field, "fieldPath"));
          if (!resolved.ok()) return resolved.status();
          value = *resolved;
        } else {
          value = Expand(Text(var, "value"), vars);
        }
        vars[var_name] = localize(value);
        env_names.push_back(var_name);
      }
    }
    for (const std::string& var_name : env_names) run.env.push_back(absl::StrCat(var_name, "=", vars[var_name]));
    if (IsSequence(container["args"])) {
      for (const YAML::Node& arg : container["args"]) run.args.push_back(localize(Expand(arg.Scalar(), vars)));
    }
    // env -i: the container's environment and nothing of the test's.
    std::vector<std::string> argv = {"-i"};
    argv.insert(argv.end(), run.env.begin(), run.env.end());
    argv.push_back(program->second);
    argv.insert(argv.end(), run.args.begin(), run.args.end());
    absl::StatusOr<ChildProcess> process = ChildProcess::Start(
        "/usr/bin/env", argv, absl::StrCat(running->volumes_dir, "/", run.name, ".log"));
    if (!process.ok()) return process.status();
    run.process.emplace(*std::move(process));
    running->containers.push_back(std::move(run));
    // The kubelet starts the next container only once this one's postStart
    // hook has returned; a failed hook fails the container.
    const YAML::Node hook = container["lifecycle"] ? container["lifecycle"]["postStart"] : YAML::Node();
    if (hook && hook["exec"] && IsSequence(hook["exec"]["command"])) {
      std::vector<std::string> command;
      for (const YAML::Node& word : hook["exec"]["command"]) command.push_back(localize(Expand(word.Scalar(), vars)));
      const std::string binary = program->second;
      if (command.empty() || std::filesystem::path(command[0]).filename() != std::filesystem::path(binary).filename()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ".lifecycle.postStart: runs only the image's own program here"));
      }
      std::vector<std::string> hook_argv = {"-i"};
      hook_argv.insert(hook_argv.end(), running->containers.back().env.begin(), running->containers.back().env.end());
      hook_argv.push_back(binary);
      hook_argv.insert(hook_argv.end(), command.begin() + 1, command.end());
      absl::StatusOr<CommandResult> ran = RunToCompletion("/usr/bin/env", hook_argv, absl::Minutes(3));
      if (!ran.ok()) return ran.status();
      if (ran->exit.status != 0) {
        return absl::FailedPreconditionError(absl::StrCat(where, ".lifecycle.postStart failed (",
                                                          ran->exit.ToString(), "): ", ran->err));
      }
    }
  }
  return running;
}

}  // namespace keel::testing
