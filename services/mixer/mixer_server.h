// MixerServer answers istio.mixer.v1.Mixer: Check (decode the compressed
// attributes, run the policy) and Report (decode each attribute set).
#ifndef KEEL_SERVICES_MIXER_MIXER_SERVER_H_
#define KEEL_SERVICES_MIXER_MIXER_SERVER_H_

#include <functional>
#include <memory>

#include "libs/common/metrics.h"
#include "libs/mixer/global_dictionary.h"
#include "prometheus/counter.h"
#include "proto/istio/mixer/v1/mixer.grpc.pb.h"
#include "services/mixer/policy.h"

namespace keel::mixer {

// What Mixer takes from one caller before decoding anything.
struct RequestLimits {
  DecodeLimits decode;
  // Of every request being decoded at once, together.
  size_t max_inflight_decoded_bytes = 64 << 20;
  // Istio's clients send a UUID and a counter.
  size_t max_deduplication_id_bytes = 256;
};

class MixerServer final : public istio::mixer::v1::Mixer::CallbackService {
 public:
  // The policy in force; null until Mixer holds a whole config, and Check
  // and Report answer UNAVAILABLE until then (so a client's fail-open or
  // fail-closed setting decides, and nothing answered can be cached).
  using PolicyProvider = std::function<std::shared_ptr<const Policy>()>;
  MixerServer(const GlobalDictionary* dictionary, PolicyProvider policy, MetricsRegistry& metrics,
              RequestLimits limits = {});

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const istio::mixer::v1::CheckRequest* request,
                                  istio::mixer::v1::CheckResponse* response) override;
  grpc::ServerUnaryReactor* Report(grpc::CallbackServerContext* context,
                                   const istio::mixer::v1::ReportRequest* request,
                                   istio::mixer::v1::ReportResponse* response) override;

 private:
  grpc::Status DoCheck(const grpc::ServerContextBase& context, const Policy& policy,
                       const istio::mixer::v1::CheckRequest& request,
                       istio::mixer::v1::CheckResponse& response);
  grpc::Status DoReport(const grpc::ServerContextBase& context, const Policy& policy,
                        const istio::mixer::v1::ReportRequest& request);

  const GlobalDictionary* dictionary_;
  const PolicyProvider policy_;
  const RequestLimits limits_;
  InflightBytes inflight_;
  prometheus::Family<prometheus::Counter>& checks_;
  prometheus::Counter& report_sets_;
  prometheus::Family<prometheus::Counter>& reports_refused_;
};

}  // namespace keel::mixer

#endif  // KEEL_SERVICES_MIXER_MIXER_SERVER_H_
