#include "services/mixer/bound_services.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace keel::mixer {

BoundServices::BoundServices(
    const google::protobuf::RepeatedPtrField<istio::mixer::v1::config::client::IstioService>& services,
    const std::string& binding_namespace) {
  for (const auto& service : services) {
    if (!service.service().empty()) {
      hosts_.push_back(service.service());
    } else {
      const std::string& ns = service.namespace_().empty() ? binding_namespace : service.namespace_();
      prefixes_.push_back(absl::StrCat(service.name(), ".", ns, "."));
    }
  }
}

bool BoundServices::Contains(const std::string& host) const {
  for (const std::string& h : hosts_) {
    if (h == "*" || h == host) return true;
  }
  for (const std::string& p : prefixes_) {
    if (absl::StartsWith(host, p) || host + "." == p) return true;
  }
  return false;
}

}  // namespace keel::mixer
