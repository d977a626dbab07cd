#include "services/galley/injection.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/common/files.h"
#include "libs/common/json_writer.h"
#include "libs/common/yaml_json.h"
#include "services/galley/webhook.h"

namespace keel::galley {
namespace {

bool IsMap(const YAML::Node& node) { return node && node.IsMap(); }
bool IsSequence(const YAML::Node& node) { return node && node.IsSequence(); }

std::string Text(const YAML::Node& map, const char* key) {
  return IsMap(map) && map[key] && map[key].IsScalar() ? map[key].Scalar() : "";
}

// The template's YAML as JSON, ${SERVICE_ACCOUNT} and ${NAMESPACE} replaced.
void WriteJson(const YAML::Node& node, const std::map<std::string, std::string>& substitutions,
               JsonWriter& json) {
  WriteYamlAsJson(node, json, [&](const std::string& text) {
    std::string out = text;
    for (const auto& [from, to] : substitutions) out = absl::StrReplaceAll(out, {{from, to}});
    return out;
  });
}

// JSON Pointer escaping of one path segment (RFC 6901).
std::string Escape(const std::string& segment) {
  return absl::StrReplaceAll(segment, {{"~", "~0"}, {"/", "~1"}});
}

HttpResponse Answer(const std::string& uid, const std::string& patch) {
  JsonWriter json;
  BeginAdmissionResponse(json, "admission.k8s.io/v1", uid, /*allowed=*/true);
  if (!patch.empty()) {
    json.Key("patchType").String("JSONPatch").Key("patch").String(absl::Base64Escape(patch));
  }
  json.EndObject().EndObject();
  return HttpResponse{.content_type = "application/json", .body = json.Take()};
}

}  // namespace

absl::StatusOr<std::unique_ptr<Injector>> Injector::Load(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return absl::InvalidArgumentError(absl::StrCat("--injection_template: ", text.status().message()));
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", e.mark.line + 1, ": ", e.msg));
  }
  if (!IsMap(root)) return absl::InvalidArgumentError(absl::StrCat(path, ": not a map"));
  for (const char* field : {"containers", "volumes", "appEnv", "appMounts"}) {
    if (!IsSequence(root[field])) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", field, ": want a list"));
    }
  }
  bool has_agent = false;
  for (const YAML::Node& container : root["containers"]) has_agent |= Text(container, "name") == "keel-agent";
  if (!has_agent) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": containers: no container named keel-agent"));
  }
  return std::unique_ptr<Injector>(new Injector(root));
}

HttpResponse Injector::HandleReview(const HttpRequest& request) const {
  if (request.method != "POST") return HttpResponse{.status = 405, .body = "POST an AdmissionReview\n"};
  if (std::string problem = ScanJson(request.body); !problem.empty()) return BadAdmissionReview(problem);
  YAML::Node review;
  try {
    review = YAML::Load(request.body);
  } catch (const YAML::Exception& e) {
    return BadAdmissionReview(e.msg);
  }
  const YAML::Node req = IsMap(review) ? review["request"] : YAML::Node();
  const std::string uid = Text(req, "uid");
  if (uid.empty()) return BadAdmissionReview("request.uid is missing");
  const YAML::Node pod = req["object"];
  if (!IsMap(pod) || !IsMap(pod["spec"]) || !IsSequence(pod["spec"]["containers"])) {
    return BadAdmissionReview("request.object is not a Pod with spec.containers");
  }
  const YAML::Node metadata = pod["metadata"];
  const YAML::Node annotations = IsMap(metadata) ? metadata["annotations"] : YAML::Node();
  std::vector<std::string> templates =
      absl::StrSplit(Text(annotations, kInjectTemplatesAnnotation), ',', absl::SkipWhitespace());
  for (std::string& t : templates) t = std::string(absl::StripAsciiWhitespace(t));
  bool wanted = std::find(templates.begin(), templates.end(), "grpc-agent") != templates.end();
  for (const YAML::Node& container : pod["spec"]["containers"]) {
    if (Text(container, "name") == "keel-agent") wanted = false;  // injected already
  }
  if (!wanted) return Answer(uid, "");

  std::string account = Text(pod["spec"], "serviceAccountName");
  if (account.empty()) account = "default";
  std::string ns = Text(metadata, "namespace");
  if (ns.empty()) ns = Text(req, "namespace");
  const std::map<std::string, std::string> substitutions = {{"${SERVICE_ACCOUNT}", account},
                                                            {"${NAMESPACE}", ns}};
  std::vector<std::string> labels;
  if (IsMap(metadata) && IsMap(metadata["labels"])) {
    for (const auto& entry : metadata["labels"]) {
      labels.push_back(absl::StrCat(entry.first.Scalar(), "=", entry.second.Scalar()));
    }
  }
  std::sort(labels.begin(), labels.end());

  JsonWriter patch;
  patch.BeginArray();
  auto add = [&](const std::string& path, const std::function<void()>& value) {
    patch.BeginObject().Key("op").String("add").Key("path").String(path).Key("value");
    value();
    patch.EndObject();
  };
  // Every application container: the bootstrap's env and the mounts.
  size_t index = 0;
  for (const YAML::Node& container : pod["spec"]["containers"]) {
    const std::string base = absl::StrCat("/spec/containers/", index++);
    for (const char* field : {"env", "volumeMounts"}) {
      const YAML::Node& extra = template_[std::string(field) == "env" ? "appEnv" : "appMounts"];
      if (!IsSequence(container[field])) {
        add(absl::StrCat(base, "/", field), [&] { WriteJson(extra, substitutions, patch); });
        continue;
      }
      for (const YAML::Node& item : extra) {
        add(absl::StrCat(base, "/", field, "/-"), [&] { WriteJson(item, substitutions, patch); });
      }
    }
  }
  // The template's containers go first, in order: keel-agent's postStart
  // hook then holds the application until the agent is ready (the kubelet
  // starts containers in order, each after the previous one's hook).
  // These adds follow the ones above, so the indexes above are unshifted.
  size_t position = 0;
  for (const YAML::Node& container : template_["containers"]) {
    add(absl::StrCat("/spec/containers/", position++), [&] {
      YAML::Node copy = YAML::Clone(container);
      if (Text(copy, "name") == "keel-agent" && !labels.empty() && IsSequence(copy["args"])) {
        copy["args"].push_back(absl::StrCat("--labels=", absl::StrJoin(labels, ",")));
      }
      WriteJson(copy, substitutions, patch);
    });
  }
  if (!IsSequence(pod["spec"]["volumes"])) {
    add("/spec/volumes", [&] { WriteJson(template_["volumes"], substitutions, patch); });
  } else {
    for (const YAML::Node& volume : template_["volumes"]) {
      add("/spec/volumes/-", [&] { WriteJson(volume, substitutions, patch); });
    }
  }
  add(absl::StrCat("/metadata/annotations/", Escape(kInjectedAnnotation)),
      [&] { patch.String("grpc-agent"); });
  patch.EndArray();
  return Answer(uid, patch.Take());
}

}  // namespace keel::galley
