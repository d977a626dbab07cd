// BoundServices: the services an Istio Mixer-client binding
// (QuotaSpecBinding, HTTPAPISpecBinding) names, matched against a
// request's destination.service.host.
#ifndef KEEL_SERVICES_MIXER_BOUND_SERVICES_H_
#define KEEL_SERVICES_MIXER_BOUND_SERVICES_H_

#include <string>
#include <vector>

#include "google/protobuf/repeated_ptr_field.h"
#include "proto/istio/mixer/v1/config/client/service.pb.h"

namespace keel::mixer {

class BoundServices {
 public:
  // A service by FQDN (`service`, "*" for every one), or by short name in
  // its namespace (the binding's when it gives none).
  BoundServices(
      const google::protobuf::RepeatedPtrField<istio::mixer::v1::config::client::IstioService>& services,
      const std::string& binding_namespace);

  bool Contains(const std::string& host) const;

 private:
  std::vector<std::string> hosts_;     // FQDNs, "*" for all
  std::vector<std::string> prefixes_;  // "name.namespace."
};

}  // namespace keel::mixer

#endif  // KEEL_SERVICES_MIXER_BOUND_SERVICES_H_
