// Every message of the pinned Envoy API package, for reading and checking
// Envoy config Keel has no compiled C++ for (an EnvoyFilter's typed_config of
// any Envoy extension, say). Backed by a descriptor set built from the
// package's .proto files at build time and embedded in the binary.
#ifndef KEEL_LIBS_MESH_ENVOY_TYPES_H_
#define KEEL_LIBS_MESH_ENVOY_TYPES_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"

namespace keel::mesh {

// EnvoyDescriptorPool holds every Envoy API file of the package (and what
// they import), apart from the generated pool.
const google::protobuf::DescriptorPool& EnvoyDescriptorPool();

// EnvoyJsonToBinary converts proto3 JSON of the Envoy message `full_name`
// (e.g. "envoy.config.listener.v3.Listener") to its wire form. Any fields
// (typed_config) are resolved against every Envoy type, so an unknown
// extension type or a bad field inside one is an InvalidArgument error
// naming it.
absl::StatusOr<std::string> EnvoyJsonToBinary(const std::string& full_name,
                                              const std::string& json);

// ForEachEnvoyRegex calls `visit` with the path and text of every regex in
// `binary` (the wire form of the Envoy message `full_name`): each
// `envoy.type.matcher.v3.RegexMatcher.regex`, inside typed_config Anys too.
// A regex is attacker-sized input (ISTIO-SECURITY-2026-006): callers bound it.
void ForEachEnvoyRegex(const std::string& full_name, const std::string& binary,
                       const std::function<void(const std::string& path,
                                                const std::string& regex)>& visit);

// EnvoyHttpFilterConfigToAny turns the untyped `filterConfig` of an Istio
// 1.4 EnvoyFilter (`filters` form) into the typed_config xDS v3 needs: a
// config carrying "@type" is taken as it is; otherwise the type comes from
// the filter's name (Envoy's canonical "envoy.filters.http.lua" or the older
// "envoy.lua"). InvalidArgument names the filter when neither gives a type or
// the config does not fit it.
absl::StatusOr<google::protobuf::Any> EnvoyHttpFilterConfigToAny(
    const std::string& filter_name, const google::protobuf::Struct& config);

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_ENVOY_TYPES_H_
