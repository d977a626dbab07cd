// ApiSpecs: API attributes from Istio's HTTPAPISpec and HTTPAPISpecBinding.
// For a request to a bound service whose method and path match a pattern,
// Mixer adds the spec's attributes (api.service, api.version) and the
// pattern's (api.operation, ...) before its rules see the request, and
// request.api_key from the spec's API-key locations. Istio computed these in
// the proxy; Keel's Mixer does it for every client.
#ifndef KEEL_SERVICES_MIXER_API_SPECS_H_
#define KEEL_SERVICES_MIXER_API_SPECS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "libs/mesh/resource.h"
#include "libs/mixer/attributes.h"
#include "re2/re2.h"
#include "services/mixer/bound_services.h"

namespace keel::mixer {

class ApiSpecs {
 public:
  // Compile reads every HTTPAPISpec and HTTPAPISpecBinding; a binding naming
  // a spec that does not exist, or a pattern that does not compile, is an
  // error naming the resource.
  static absl::StatusOr<ApiSpecs> Compile(
      const std::vector<std::shared_ptr<const mesh::Resource>>& resources);

  // Enrich adds the API attributes of `bag`'s request (never replacing one
  // the request has). What they were computed from (the destination, method,
  // path and API-key headers) goes to `referenced` when it is given.
  void Enrich(AttributeBag& bag,
              absl::flat_hash_set<AttributeReference>* referenced = nullptr) const;

 private:
  struct Pattern {
    std::string method;                  // empty: any
    std::vector<std::string> segments;   // of a URI template: literal, "*" or "**"
    std::shared_ptr<const RE2> regex;    // or a regex on the path
    AttributeBag attributes;
  };
  struct ApiKey {
    enum class Where { kQuery, kHeader, kCookie } where;
    std::string name;
  };
  struct Spec {
    AttributeBag attributes;
    std::vector<Pattern> patterns;
    std::vector<ApiKey> api_keys;
  };
  // The request's API key, from the spec's locations in order.
  static std::optional<std::string> FindApiKey(const Spec& spec, const AttributeBag& bag,
                                               const std::string* path);

  struct Binding {
    BoundServices services;
    std::vector<std::shared_ptr<const Spec>> specs;
  };
  std::vector<Binding> bindings_;
};

}  // namespace keel::mixer

#endif  // KEEL_SERVICES_MIXER_API_SPECS_H_
