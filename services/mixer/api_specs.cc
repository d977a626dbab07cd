#include "services/mixer/api_specs.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "proto/istio/mixer/v1/config/client/api_spec.pb.h"

namespace keel::mixer {
namespace {

namespace client = ::istio::mixer::v1::config::client;

AttributeBag FromProto(const istio::mixer::v1::Attributes& attributes) {
  AttributeBag bag;
  for (const auto& [name, value] : attributes.attributes()) {
    using V = istio::mixer::v1::Attributes::AttributeValue;
    switch (value.value_case()) {
      case V::kStringValue: bag[name] = value.string_value(); break;
      case V::kInt64Value: bag[name] = value.int64_value(); break;
      case V::kDoubleValue: bag[name] = value.double_value(); break;
      case V::kBoolValue: bag[name] = value.bool_value(); break;
      case V::kBytesValue: bag[name] = Bytes{value.bytes_value()}; break;
      case V::kTimestampValue:
        bag[name] = absl::FromUnixSeconds(value.timestamp_value().seconds()) +
                    absl::Nanoseconds(value.timestamp_value().nanos());
        break;
      case V::kDurationValue:
        bag[name] = absl::Seconds(value.duration_value().seconds()) +
                    absl::Nanoseconds(value.duration_value().nanos());
        break;
      case V::kStringMapValue:
        bag[name] = StringMap(value.string_map_value().entries().begin(),
                              value.string_map_value().entries().end());
        break;
      case V::VALUE_NOT_SET: break;
    }
  }
  return bag;
}

// A URI template's path segments: literals, "*" for a {variable} and "**"
// for {variable=**}; a query part ({?q,lang} or ?...) is not matched.
std::vector<std::string> TemplateSegments(absl::string_view uri_template) {
  uri_template = uri_template.substr(0, uri_template.find_first_of("?"));
  if (size_t query = uri_template.find("{?"); query != absl::string_view::npos) {
    uri_template = uri_template.substr(0, query);
  }
  std::vector<std::string> out;
  for (absl::string_view segment : absl::StrSplit(uri_template, '/', absl::SkipEmpty())) {
    if (absl::StartsWith(segment, "{") && absl::EndsWith(segment, "}")) {
      out.push_back(absl::StrContains(segment, "=**") ? "**" : "*");
    } else {
      out.emplace_back(segment);
    }
  }
  return out;
}

bool SegmentsMatch(const std::vector<std::string>& pattern, absl::string_view path) {
  path = path.substr(0, path.find('?'));
  std::vector<absl::string_view> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  size_t i = 0;
  for (const std::string& segment : pattern) {
    if (segment == "**") return true;
    if (i >= parts.size()) return false;
    if (segment != "*" && segment != parts[i]) return false;
    ++i;
  }
  return i == parts.size();
}

const std::string* StringAttribute(const AttributeBag& bag, const std::string& name) {
  auto it = bag.find(name);
  return it == bag.end() ? nullptr : std::get_if<std::string>(&it->second);
}

}  // namespace

std::optional<std::string> ApiSpecs::FindApiKey(const Spec& spec, const AttributeBag& bag,
                                                const std::string* path) {
  const StringMap* headers = nullptr;
  if (auto it = bag.find("request.headers"); it != bag.end()) {
    headers = std::get_if<StringMap>(&it->second);
  }
  for (const ApiKey& key : spec.api_keys) {
    if (key.where == ApiKey::Where::kQuery) {
      if (path == nullptr) continue;
      const size_t q = path->find('?');
      if (q == std::string::npos) continue;
      for (absl::string_view pair : absl::StrSplit(absl::string_view(*path).substr(q + 1), '&')) {
        std::pair<absl::string_view, absl::string_view> kv =
            absl::StrSplit(pair, absl::MaxSplits('=', 1));
        if (kv.first == key.name) return std::string(kv.second);
      }
    } else if (headers != nullptr && key.where == ApiKey::Where::kHeader) {
      if (auto it = headers->find(absl::AsciiStrToLower(key.name)); it != headers->end()) {
        return it->second;
      }
    } else if (headers != nullptr) {
      auto cookies = headers->find("cookie");
      if (cookies == headers->end()) continue;
      for (absl::string_view cookie : absl::StrSplit(cookies->second, ';')) {
        std::pair<absl::string_view, absl::string_view> kv =
            absl::StrSplit(absl::StripAsciiWhitespace(cookie), absl::MaxSplits('=', 1));
        if (kv.first == key.name) return std::string(kv.second);
      }
    }
  }
  return std::nullopt;
}

absl::StatusOr<ApiSpecs> ApiSpecs::Compile(
    const std::vector<std::shared_ptr<const mesh::Resource>>& resources) {
  std::map<std::string, const mesh::Resource*> specs;
  std::vector<const mesh::Resource*> bindings;
  for (const auto& resource : resources) {
    if (resource->Is(mesh::kinds::HttpApiSpec)) {
      specs[resource->namespace_name + "/" + resource->name] = resource.get();
    } else if (resource->Is(mesh::kinds::HttpApiSpecBinding)) {
      bindings.push_back(resource.get());
    }
  }
  std::map<std::string, std::shared_ptr<const Spec>> compiled_specs;
  for (const auto& [key, resource] : specs) {
    const auto& spec = *resource->As(mesh::kinds::HttpApiSpec);
    auto compiled = std::make_shared<Spec>();
    compiled->attributes = FromProto(spec.attributes());
    for (const client::HTTPAPISpecPattern& pattern : spec.patterns()) {
      Pattern p{.method = pattern.http_method(), .attributes = FromProto(pattern.attributes())};
      if (pattern.pattern_case() == client::HTTPAPISpecPattern::kRegex) {
        p.regex = std::make_shared<const RE2>(pattern.regex(), RE2::Quiet);
        if (!p.regex->ok()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "HTTPAPISpec ", key, ": bad regex \"", pattern.regex(), "\": ", p.regex->error()));
        }
      } else {
        p.segments = TemplateSegments(pattern.uri_template());
      }
      compiled->patterns.push_back(std::move(p));
    }
    for (const client::APIKey& key_location : spec.api_keys()) {
      switch (key_location.key_case()) {
        case client::APIKey::kQuery:
          compiled->api_keys.push_back({ApiKey::Where::kQuery, key_location.query()});
          break;
        case client::APIKey::kHeader:
          compiled->api_keys.push_back({ApiKey::Where::kHeader, key_location.header()});
          break;
        case client::APIKey::kCookie:
          compiled->api_keys.push_back({ApiKey::Where::kCookie, key_location.cookie()});
          break;
        case client::APIKey::KEY_NOT_SET: break;
      }
    }
    // Istio's defaults: ?key=, ?api_key=, then the x-api-key header.
    if (compiled->api_keys.empty()) {
      compiled->api_keys = {{ApiKey::Where::kQuery, "key"},
                            {ApiKey::Where::kQuery, "api_key"},
                            {ApiKey::Where::kHeader, "x-api-key"}};
    }
    compiled_specs[key] = std::move(compiled);
  }
  ApiSpecs out;
  for (const mesh::Resource* resource : bindings) {
    const auto& binding = *resource->As(mesh::kinds::HttpApiSpecBinding);
    Binding compiled{.services = BoundServices(binding.services(), resource->namespace_name)};
    for (const auto& reference : binding.api_specs()) {
      const std::string& ns =
          reference.namespace_().empty() ? resource->namespace_name : reference.namespace_();
      auto spec = compiled_specs.find(ns + "/" + reference.name());
      if (spec == compiled_specs.end()) {
        return absl::InvalidArgumentError(absl::StrCat("HTTPAPISpecBinding ",
                                                       resource->namespace_name, "/", resource->name,
                                                       ": HTTPAPISpec ", ns, "/", reference.name(),
                                                       " does not exist"));
      }
      compiled.specs.push_back(spec->second);
    }
    out.bindings_.push_back(std::move(compiled));
  }
  return out;
}

void ApiSpecs::Enrich(AttributeBag& bag, absl::flat_hash_set<AttributeReference>* referenced) const {
  if (bindings_.empty()) return;
  auto record = [referenced](const std::string& name, std::optional<std::string> key = std::nullopt) {
    if (referenced != nullptr) referenced->insert(AttributeReference{.name = name, .map_key = key});
  };
  record("destination.service.host");
  // Copies: adding attributes may move the bag's values.
  auto copy = [&bag](const std::string& name) -> std::optional<std::string> {
    const std::string* value = StringAttribute(bag, name);
    return value == nullptr ? std::nullopt : std::optional<std::string>(*value);
  };
  const std::optional<std::string> host_value = copy("destination.service.host");
  if (!host_value.has_value()) return;
  const std::optional<std::string> method_value = copy("request.method");
  const std::optional<std::string> path_value = copy("request.path");
  const std::string* host = &*host_value;
  const std::string* method = method_value.has_value() ? &*method_value : nullptr;
  const std::string* path = path_value.has_value() ? &*path_value : nullptr;
  auto add = [&bag](const AttributeBag& attributes) {
    for (const auto& [name, value] : attributes) bag.emplace(name, value);  // never replaces
  };
  for (const Binding& binding : bindings_) {
    if (!binding.services.Contains(*host)) continue;
    record("request.method");
    record("request.path");
    for (const auto& spec : binding.specs) {
      for (const ApiKey& key : spec->api_keys) {
        if (key.where == ApiKey::Where::kHeader) record("request.headers", absl::AsciiStrToLower(key.name));
        if (key.where == ApiKey::Where::kCookie) record("request.headers", "cookie");
      }
      bool matched = false;
      for (const Pattern& pattern : spec->patterns) {
        if (path == nullptr) break;
        if (!pattern.method.empty() && (method == nullptr || *method != pattern.method)) continue;
        const bool hit = pattern.regex != nullptr ? RE2::PartialMatch(*path, *pattern.regex)
                                                  : SegmentsMatch(pattern.segments, *path);
        if (!hit) continue;
        add(pattern.attributes);
        matched = true;
        break;
      }
      if (!matched) continue;
      add(spec->attributes);
      // request.api_key: the first location that has one.
      if (bag.count("request.api_key") == 0) {
        if (std::optional<std::string> key = FindApiKey(*spec, bag, path)) {
          bag["request.api_key"] = *std::move(key);
        }
      }
    }
  }
}

}  // namespace keel::mixer
