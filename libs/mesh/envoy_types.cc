#include "libs/mesh/envoy_types.h"

#include <map>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/descriptor_database.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "google/protobuf/util/type_resolver_util.h"

// Defined by the object file @envoy_api//:all_descriptor_set_cc.
extern "C" const char keel_envoy_descriptor_set[];
extern "C" const char keel_envoy_descriptor_set_end[];

namespace keel::mesh {
namespace {

constexpr char kTypeUrlPrefix[] = "type.googleapis.com";

struct EnvoyTypes {
  google::protobuf::SimpleDescriptorDatabase database;
  std::unique_ptr<google::protobuf::DescriptorPool> pool;
  std::unique_ptr<google::protobuf::util::TypeResolver> resolver;
};

const EnvoyTypes& Types() {
  static const EnvoyTypes* const kTypes = [] {
    auto* types = new EnvoyTypes;
    google::protobuf::FileDescriptorSet set;
    // The set is produced by protoc at build time; failing to read it is a
    // build defect, and the pool is then empty (every lookup fails cleanly).
    if (set.ParseFromArray(
            keel_envoy_descriptor_set,
            static_cast<int>(keel_envoy_descriptor_set_end - keel_envoy_descriptor_set))) {
      for (const auto& file : set.file()) types->database.Add(file);
    }
    types->pool = std::make_unique<google::protobuf::DescriptorPool>(&types->database);
    types->resolver.reset(google::protobuf::util::NewTypeResolverForDescriptorPool(
        kTypeUrlPrefix, types->pool.get()));
    return types;
  }();
  return *kTypes;
}

// HTTP filter names Istio 1.4 users wrote (Envoy's canonical v3 names and
// the older ones Envoy still accepted then) and the v3 config type of each.
const std::map<std::string, std::string>& HttpFilterTypes() {
  static const auto* const kTypes = [] {
    auto* types = new std::map<std::string, std::string>;
    const std::vector<std::pair<std::string, std::string>> filters = {
        {"buffer", "buffer.v3.Buffer"},
        {"cors", "cors.v3.Cors"},
        {"ext_authz", "ext_authz.v3.ExtAuthz"},
        {"fault", "fault.v3.HTTPFault"},
        {"grpc_web", "grpc_web.v3.GrpcWeb"},
        {"grpc_stats", "grpc_stats.v3.FilterConfig"},
        {"header_to_metadata", "header_to_metadata.v3.Config"},
        {"health_check", "health_check.v3.HealthCheck"},
        {"jwt_authn", "jwt_authn.v3.JwtAuthentication"},
        {"local_ratelimit", "local_ratelimit.v3.LocalRateLimit"},
        {"lua", "lua.v3.Lua"},
        {"ratelimit", "ratelimit.v3.RateLimit"},
        {"rbac", "rbac.v3.RBAC"},
        {"router", "router.v3.Router"},
    };
    for (const auto& [short_name, type] : filters) {
      const std::string full = absl::StrCat("envoy.extensions.filters.http.", type);
      (*types)[absl::StrCat("envoy.filters.http.", short_name)] = full;
      (*types)[absl::StrCat("envoy.", short_name)] = full;
    }
    (*types)["envoy.rate_limit"] = (*types)["envoy.ratelimit"];
    return types;
  }();
  return *kTypes;
}

}  // namespace

const google::protobuf::DescriptorPool& EnvoyDescriptorPool() { return *Types().pool; }

absl::StatusOr<std::string> EnvoyJsonToBinary(const std::string& full_name,
                                              const std::string& json) {
  const EnvoyTypes& types = Types();
  if (types.pool->FindMessageTypeByName(full_name) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown Envoy type ", full_name));
  }
  std::string binary;
  google::protobuf::util::Status status = google::protobuf::util::JsonToBinaryString(
      types.resolver.get(), absl::StrCat(kTypeUrlPrefix, "/", full_name), json, &binary);
  if (!status.ok()) {
    return absl::InvalidArgumentError(std::string(status.message()));
  }
  return binary;
}

namespace {

void VisitRegexes(const google::protobuf::Message& message, const std::string& path, int depth,
                  google::protobuf::DynamicMessageFactory& factory,
                  const std::function<void(const std::string&, const std::string&)>& visit) {
  if (depth > 64) return;  // bounded like every other input
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  const google::protobuf::Reflection* reflection = message.GetReflection();
  if (descriptor->full_name() == "envoy.type.matcher.v3.RegexMatcher") {
    if (const auto* field = descriptor->FindFieldByName("regex")) {
      visit(path.empty() ? "regex" : path + ".regex", reflection->GetString(message, field));
    }
  }
  if (descriptor->full_name() == "google.protobuf.Any") {
    const std::string type_url =
        reflection->GetString(message, descriptor->FindFieldByName("type_url"));
    const std::string value = reflection->GetString(message, descriptor->FindFieldByName("value"));
    const google::protobuf::Descriptor* type =
        Types().pool->FindMessageTypeByName(type_url.substr(type_url.rfind('/') + 1));
    if (type == nullptr) return;
    std::unique_ptr<google::protobuf::Message> inner(factory.GetPrototype(type)->New());
    if (inner->ParseFromString(value)) VisitRegexes(*inner, path, depth + 1, factory, visit);
    return;
  }
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string child = path.empty() ? field->json_name() : path + "." + field->json_name();
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        VisitRegexes(reflection->GetRepeatedMessage(message, field, i),
                     absl::StrCat(child, "[", i, "]"), depth + 1, factory, visit);
      }
    } else {
      VisitRegexes(reflection->GetMessage(message, field), child, depth + 1, factory, visit);
    }
  }
}

}  // namespace

void ForEachEnvoyRegex(const std::string& full_name, const std::string& binary,
                       const std::function<void(const std::string&, const std::string&)>& visit) {
  const google::protobuf::Descriptor* type = Types().pool->FindMessageTypeByName(full_name);
  if (type == nullptr) return;
  google::protobuf::DynamicMessageFactory factory(Types().pool.get());
  std::unique_ptr<google::protobuf::Message> message(factory.GetPrototype(type)->New());
  if (!message->ParseFromString(binary)) return;
  VisitRegexes(*message, "", 0, factory, visit);
}

absl::StatusOr<google::protobuf::Any> EnvoyHttpFilterConfigToAny(
    const std::string& filter_name, const google::protobuf::Struct& config) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(config, &json).ok()) {
    return absl::InvalidArgumentError("filter config is not JSON");
  }
  google::protobuf::Any any;
  if (config.fields().count("@type") > 0) {
    absl::StatusOr<std::string> binary = EnvoyJsonToBinary("google.protobuf.Any", json);
    if (!binary.ok()) return binary.status();
    if (!any.ParseFromString(*binary)) return absl::InvalidArgumentError("bad typed config");
    return any;
  }
  auto type = HttpFilterTypes().find(filter_name);
  if (type == HttpFilterTypes().end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "filter \"", filter_name,
        "\" has no known config type: give its filterConfig an \"@type\" (xDS v3 has no "
        "untyped filter config)"));
  }
  absl::StatusOr<std::string> binary = EnvoyJsonToBinary(type->second, json);
  if (!binary.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("filterConfig is not a valid ", type->second,
                                                   ": ", binary.status().message()));
  }
  any.set_type_url(absl::StrCat(kTypeUrlPrefix, "/", type->second));
  any.set_value(*binary);
  return any;
}

}  // namespace keel::mesh
