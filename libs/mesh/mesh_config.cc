#include "libs/mesh/mesh_config.h"

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "libs/mesh/validation/rules.h"
#include "libs/mesh/yaml_proto.h"

namespace keel::mesh {
namespace {

// Over `base`, sets every field the YAML map `node` names (read into
// `over`): a scalar or a list replaces the default, even with a zero value
// ("enableTracing: false"); a message merges recursively.
void ApplyOver(const YAML::Node& node, const google::protobuf::Message& over,
               google::protobuf::Message& base) {
  const google::protobuf::Descriptor* descriptor = over.GetDescriptor();
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    const google::protobuf::FieldDescriptor* field = descriptor->FindFieldByName(key);
    if (field == nullptr) field = descriptor->FindFieldByCamelcaseName(key);
    if (field == nullptr) continue;  // YamlToProto has reported it
    if (!field->is_repeated() &&
        field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE &&
        field->message_type()->well_known_type() ==
            google::protobuf::Descriptor::WELLKNOWNTYPE_UNSPECIFIED &&
        entry.second.IsMap()) {
      ApplyOver(entry.second, over.GetReflection()->GetMessage(over, field),
                *base.GetReflection()->MutableMessage(&base, field));
      continue;
    }
    std::unique_ptr<google::protobuf::Message> copy(over.New());
    copy->CopyFrom(over);
    base.GetReflection()->SwapFields(&base, copy.get(), {field});
  }
}

}  // namespace

MeshConfig DefaultMeshConfig() {
  MeshConfig config;
  config.set_root_namespace("istio-system");
  config.add_default_service_export_to("*");
  config.add_default_virtual_service_export_to("*");
  config.add_default_destination_rule_export_to("*");
  config.mutable_connect_timeout()->set_seconds(10);
  config.mutable_outbound_traffic_policy()->set_mode(MeshConfig::OutboundTrafficPolicy::ALLOW_ANY);
  config.set_trust_domain("cluster.local");
  config.set_enable_tracing(true);
  config.mutable_dns_refresh_rate()->set_seconds(5);
  return config;
}

std::vector<std::string> ValidateMeshConfig(const MeshConfig& config) {
  std::vector<std::string> problems;
  auto check = [&](const char* field, const std::string& problem) {
    if (!problem.empty()) problems.push_back(absl::StrCat(field, ": ", problem));
  };
  check("rootNamespace", validation::CheckNamespaceName(config.root_namespace()));
  if (config.has_connect_timeout()) {
    check("connectTimeout", validation::CheckDuration(config.connect_timeout()));
  }
  check("defaultServiceExportTo", validation::CheckExportTo(config.default_service_export_to()));
  check("defaultVirtualServiceExportTo",
        validation::CheckExportTo(config.default_virtual_service_export_to()));
  check("defaultDestinationRuleExportTo",
        validation::CheckExportTo(config.default_destination_rule_export_to()));
  if (config.trust_domain().empty()) problems.push_back("trustDomain: must not be empty");
  const auto& locality = config.locality_lb_setting();
  if (locality.distribute_size() > 0 && locality.failover_size() > 0) {
    problems.push_back(
        "localityLbSetting: can not simultaneously specify 'distribute' and 'failover'");
  }
  for (int i = 0; i < locality.distribute_size(); ++i) {
    uint32_t total = 0;
    for (const auto& [to, weight] : locality.distribute(i).to()) total += weight;
    if (total != 100) {
      problems.push_back(absl::StrCat("localityLbSetting.distribute[", i, "].to: total weight ",
                                      total, " != 100"));
    }
  }
  return problems;
}

absl::StatusOr<MeshConfig> ParseMeshConfig(const std::string& file, const std::string& content) {
  std::vector<std::string> problems;
  YAML::Node root;
  try {
    root = YAML::Load(content);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file, ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": malformed YAML: ", e.msg));
  }
  MeshConfig user;
  if (root.IsDefined() && !root.IsNull()) {
    if (!root.IsMap()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": MeshConfig: expected a map, got ", DescribeYaml(root)));
    }
    std::vector<ConversionError> errors;
    FieldPositions positions;
    try {
      YamlToProto(root, "", user, &positions, errors);
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": malformed YAML: ", e.msg));
    }
    for (const ConversionError& error : errors) {
      std::string path = error.path;
      if (!path.empty() && path[0] == '.') path = path.substr(1);
      problems.push_back(absl::StrCat(file, ":", error.position.line, ":", error.position.column,
                                      ": MeshConfig: ", path, ": ", error.message));
    }
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  MeshConfig config = DefaultMeshConfig();
  if (root.IsDefined() && root.IsMap()) ApplyOver(root, user, config);
  for (const std::string& problem : ValidateMeshConfig(config)) {
    problems.push_back(absl::StrCat(file, ": MeshConfig: ", problem));
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  return config;
}

absl::StatusOr<MeshConfig> LoadMeshConfigFile(const std::string& path) {
  if (path.empty()) return DefaultMeshConfig();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read the mesh config"));
  std::stringstream text;
  text << in.rdbuf();
  return ParseMeshConfig(path, text.str());
}

std::string MeshConfigJson(const MeshConfig& config) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(config, &json, options);
  return json;
}

}  // namespace keel::mesh
