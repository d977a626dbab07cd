// Locality load balancing as Istio 1.4 applies it to a proxy's endpoints
// (pilot/pkg/networking/core/v1alpha3/loadbalancer): `distribute` sets the
// share of each locality as seen from the proxy's; otherwise, with failover
// enabled (the cluster has outlier detection, as 1.4 requires), localities
// get priorities by how close they are to the proxy (same subzone 0, zone 1,
// region 2, elsewhere 3, or 4 past a `failover` region that does not match),
// renumbered consecutively. gRPC's xDS client obeys both: it sends to the
// lowest priority that has endpoints, and splits by locality weight.
#ifndef KEEL_SERVICES_PILOT_GENERATORS_LOCALITY_H_
#define KEEL_SERVICES_PILOT_GENERATORS_LOCALITY_H_

#include <string>

#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "proto/istio/networking/v1alpha3/destination_rule.pb.h"

namespace keel::pilot {

// LocalityMatches reports whether `locality` is within `pattern`
// ("region/zone/subzone", any part "*" or left out).
bool LocalityMatches(const std::string& pattern, const envoy::config::core::v3::Locality& locality);

// ApplyLocalityLb rewrites the locality weights or priorities of
// `assignment` for a proxy at `proxy_locality` ("region/zone/subzone").
void ApplyLocalityLb(const istio::networking::v1alpha3::LocalityLoadBalancerSetting& setting,
                     bool failover_enabled, const std::string& proxy_locality,
                     envoy::config::endpoint::v3::ClusterLoadAssignment& assignment);

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_GENERATORS_LOCALITY_H_
