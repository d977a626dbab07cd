#include "libs/mesh/envoy_types.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/descriptor_database.h"
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
    if (set.ParseFromArray(keel_envoy_descriptor_set,
                           static_cast<int>(keel_envoy_descriptor_set_end -
                                            keel_envoy_descriptor_set))) {
      for (const auto& file : set.file()) types->database.Add(file);
    }
    types->pool = std::make_unique<google::protobuf::DescriptorPool>(&types->database);
    types->resolver.reset(
        google::protobuf::util::NewTypeResolverForDescriptorPool(kTypeUrlPrefix, types->pool.get()));
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

}  // namespace keel::mesh
