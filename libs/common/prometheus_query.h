// Reading Prometheus: instant PromQL queries over its HTTP API, and the
// mesh's request rates from Mixer's standard metric (istio_requests_total),
// as Kiali reads them.
//
//   absl::StatusOr<std::vector<MeshRequestRate>> rates =
//       MeshRequestRates("127.0.0.1:9090", "reviews.default.svc.cluster.local");
#ifndef KEEL_LIBS_COMMON_PROMETHEUS_QUERY_H_
#define KEEL_LIBS_COMMON_PROMETHEUS_QUERY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace keel {

struct PromSample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

// PrometheusInstantQuery runs `query` at Prometheus's `address` (host:port)
// and returns each series of the vector it answers. A Prometheus that cannot
// be reached, or answers an error, is UNAVAILABLE with its words.
absl::StatusOr<std::vector<PromSample>> PrometheusInstantQuery(const std::string& address,
                                                               absl::string_view query);

// One destination service version's traffic over the last minute, as the
// servers reported it. Failed requests answered 5xx, or (gRPC) a status
// other than OK.
struct MeshRequestRate {
  std::string service;  // destination_service
  std::string version;  // destination_version ("" when the workload has none)
  double per_second = 0;
  double errors_per_second = 0;
};

// MeshRequestRates reads every destination's rate, or only `service`'s.
absl::StatusOr<std::vector<MeshRequestRate>> MeshRequestRates(const std::string& address,
                                                              absl::string_view service = "");

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_PROMETHEUS_QUERY_H_
