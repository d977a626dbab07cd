#include "services/galley/webhook.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/json_writer.h"
#include "libs/mesh/resource.h"
#include "libs/mesh/admission.h"
#include "yaml-cpp/yaml.h"

namespace keel::galley {

void BeginAdmissionResponse(JsonWriter& json, const std::string& api_version,
                            const std::string& uid, bool allowed) {
  json.BeginObject()
      .Key("apiVersion")
      .String(api_version)
      .Key("kind")
      .String("AdmissionReview")
      .Key("response")
      .BeginObject()
      .Key("uid")
      .String(uid)
      .Key("allowed")
      .Bool(allowed);
}

HttpResponse BadAdmissionReview(const std::string& reason) {
  return HttpResponse{.status = 400, .body = absl::StrCat("bad AdmissionReview: ", reason, "\n")};
}

std::string ScanJson(const std::string& text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > kMaxJsonDepth) {
          return absl::StrCat("JSON nested more than ", kMaxJsonDepth, " levels deep");
        }
        break;
      case ']':
      case '}':
        --depth;
        break;
      case ',':
      case ':':
      case ' ':
      case '\t':
      case '\n':
      case '\r':
      case '-':
      case '+':
      case '.':
        break;
      default:
        if (absl::ascii_isalnum(static_cast<unsigned char>(c))) break;
        return absl::StrCat("malformed JSON: unexpected '", std::string(1, c), "' at byte ", i,
                            c == '&' || c == '*' ? " (YAML anchors and aliases are not JSON)" : "");
    }
  }
  return "";
}

namespace {

std::string Scalar(const YAML::Node& node) {
  return node.IsDefined() && node.IsScalar() ? node.Scalar() : "";
}

HttpResponse HandleReview(const HttpRequest& request, const std::vector<const mesh::Resource*>& in_force);

}  // namespace

HttpResponse HandleAdmissionReview(const HttpRequest& request,
                                   const std::vector<const mesh::Resource*>& in_force) {
  try {
    return HandleReview(request, in_force);
  } catch (const YAML::Exception& e) {
    return BadAdmissionReview(absl::StrCat("malformed JSON: ", e.msg));
  }
}

namespace {

HttpResponse HandleReview(const HttpRequest& request, const std::vector<const mesh::Resource*>& in_force) {
  if (request.method != "POST") {
    return HttpResponse{.status = 405, .body = "use POST with an AdmissionReview\n"};
  }
  if (std::string problem = ScanJson(request.body); !problem.empty()) return BadAdmissionReview(problem);
  YAML::Node review;
  try {
    review = YAML::Load(request.body);
  } catch (const YAML::Exception& e) {
    return BadAdmissionReview(absl::StrCat("malformed JSON at line ", e.mark.line + 1, ", column ",
                                   e.mark.column + 1, ": ", e.msg));
  }
  if (!review.IsMap()) return BadAdmissionReview("expected a JSON object");
  const std::string api_version = Scalar(review["apiVersion"]);
  if (Scalar(review["kind"]) != "AdmissionReview")
    return BadAdmissionReview("kind must be AdmissionReview");
  if (api_version != "admission.k8s.io/v1" && api_version != "admission.k8s.io/v1beta1") {
    return BadAdmissionReview(
        absl::StrCat("unsupported apiVersion \"", api_version, "\" (want admission.k8s.io/v1)"));
  }
  const YAML::Node req = review["request"];
  if (!req.IsMap()) return BadAdmissionReview("missing request");
  const std::string uid = Scalar(req["uid"]);
  if (uid.empty()) return BadAdmissionReview("missing request.uid");
  const std::string operation = Scalar(req["operation"]);

  std::vector<std::string> problems;
  if (operation == "CREATE" || operation == "UPDATE") {
    const YAML::Node object = req["object"];
    if (!object.IsMap()) return BadAdmissionReview("missing request.object");
    YAML::Emitter emitter;
    emitter << object;
    std::vector<mesh::CheckedFile> checked =
        mesh::AdmitFiles({{"request.object", emitter.c_str()}}, in_force);
    for (const mesh::Diagnostic& d : checked.front().diagnostics) {
      if (d.level != mesh::Level::kError) continue;
      std::string text;
      if (!d.resource.empty()) absl::StrAppend(&text, d.resource, ": ");
      if (!d.field.empty()) absl::StrAppend(&text, d.field, ": ");
      absl::StrAppend(&text, d.message);
      problems.push_back(std::move(text));
    }
  }
  JsonWriter json;
  BeginAdmissionResponse(json, api_version, uid, problems.empty());
  if (!problems.empty()) {
    json.Key("status")
        .BeginObject()
        .Key("code")
        .Int(400)
        .Key("reason")
        .String("Invalid")
        .Key("message")
        .String(absl::StrJoin(problems, "; "))
        .EndObject();
  }
  json.EndObject().EndObject();
  std::string response = json.Take();
  return HttpResponse{.content_type = "application/json", .body = std::move(response)};
}

}  // namespace
}  // namespace keel::galley
