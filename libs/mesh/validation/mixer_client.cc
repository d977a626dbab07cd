// Validators for Istio 1.4's Mixer-client kinds (config.istio.io/v1alpha2):
// QuotaSpec, QuotaSpecBinding, HTTPAPISpec, HTTPAPISpecBinding.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/mesh/validation/rules.h"
#include "libs/mesh/validation/validators.h"
#include "proto/istio/mixer/v1/config/client/api_spec.pb.h"
#include "proto/istio/mixer/v1/config/client/quota.pb.h"

namespace keel::mesh::validation {

namespace client = ::istio::mixer::v1::config::client;

namespace {

void ValidateServices(const google::protobuf::RepeatedPtrField<client::IstioService>& services,
                      FieldErrors& errors) {
  if (services.empty()) errors.Error("spec.services", "at least one service is required");
  for (int i = 0; i < services.size(); ++i) {
    if (services[i].name().empty() && services[i].service().empty()) {
      errors.Error(absl::StrCat("spec.services[", i, "]"),
                   "a service needs its name (or its FQDN in `service`)");
    }
  }
}

}  // namespace

void ValidateQuotaSpec(const Resource& resource, FieldErrors& errors) {
  const auto& spec = resource.SpecAs<client::QuotaSpec>();
  for (int i = 0; i < spec.rules_size(); ++i) {
    const client::QuotaRule& rule = spec.rules(i);
    const std::string at = absl::StrCat("spec.rules[", i, "]");
    if (rule.quotas_size() == 0) errors.Error(at + ".quotas", "a rule must charge at least one quota");
    for (int q = 0; q < rule.quotas_size(); ++q) {
      const std::string field = absl::StrCat(at, ".quotas[", q, "]");
      if (rule.quotas(q).quota().empty()) errors.Error(field + ".quota", "quota name is required");
      if (rule.quotas(q).charge() < 0) {
        errors.Error(field + ".charge", "charge must not be negative");
      } else if (rule.quotas(q).charge() == 0) {
        errors.Warning(field + ".charge", "a charge of 0 asks for nothing");
      }
    }
    for (int m = 0; m < rule.match_size(); ++m) {
      for (const auto& [attribute, match] : rule.match(m).clause()) {
        const std::string field = absl::StrCat(at, ".match[", m, "].clause[\"", attribute, "\"]");
        if (attribute.empty()) errors.Error(field, "attribute name must not be empty");
        switch (match.match_type_case()) {
          case client::StringMatch::MATCH_TYPE_NOT_SET:
            errors.Error(field, "one of exact, prefix or regex is required");
            break;
          case client::StringMatch::kRegex:
            Check(errors, field + ".regex", CheckRegex(match.regex()));
            break;
          default:
            break;
        }
      }
    }
  }
}

void ValidateQuotaSpecBinding(const Resource& resource, FieldErrors& errors) {
  const auto& spec = resource.SpecAs<client::QuotaSpecBinding>();
  ValidateServices(spec.services(), errors);
  if (spec.quota_specs_size() == 0) {
    errors.Error("spec.quotaSpecs", "at least one QuotaSpec reference is required");
  }
  for (int i = 0; i < spec.quota_specs_size(); ++i) {
    if (spec.quota_specs(i).name().empty()) {
      errors.Error(absl::StrCat("spec.quotaSpecs[", i, "].name"), "QuotaSpec name is required");
    }
  }
}

void ValidateHttpApiSpec(const Resource& resource, FieldErrors& errors) {
  const auto& spec = resource.SpecAs<client::HTTPAPISpec>();
  for (int i = 0; i < spec.patterns_size(); ++i) {
    const client::HTTPAPISpecPattern& pattern = spec.patterns(i);
    const std::string at = absl::StrCat("spec.patterns[", i, "]");
    switch (pattern.pattern_case()) {
      case client::HTTPAPISpecPattern::PATTERN_NOT_SET:
        errors.Error(at, "one of uriTemplate or regex is required");
        break;
      case client::HTTPAPISpecPattern::kUriTemplate:
        if (!absl::StartsWith(pattern.uri_template(), "/")) {
          errors.Error(at + ".uriTemplate", "a URI template must start with \"/\"");
        }
        break;
      case client::HTTPAPISpecPattern::kRegex:
        Check(errors, at + ".regex", CheckRegex(pattern.regex()));
        break;
    }
  }
  for (int i = 0; i < spec.api_keys_size(); ++i) {
    if (spec.api_keys(i).key_case() == client::APIKey::KEY_NOT_SET) {
      errors.Error(absl::StrCat("spec.apiKeys[", i, "]"), "one of query, header or cookie is required");
    }
  }
}

void ValidateHttpApiSpecBinding(const Resource& resource, FieldErrors& errors) {
  const auto& spec = resource.SpecAs<client::HTTPAPISpecBinding>();
  ValidateServices(spec.services(), errors);
  if (spec.api_specs_size() == 0) {
    errors.Error("spec.apiSpecs", "at least one HTTPAPISpec reference is required");
  }
  for (int i = 0; i < spec.api_specs_size(); ++i) {
    if (spec.api_specs(i).name().empty()) {
      errors.Error(absl::StrCat("spec.apiSpecs[", i, "].name"), "HTTPAPISpec name is required");
    }
  }
}

// Out-of-process adapters and templates: Keel runs only its built-in
// adapters, and takes these as Istio 1.4 did (nothing to check).
void ValidateAdapterInfo(const Resource&, FieldErrors&) {}

}  // namespace keel::mesh::validation
