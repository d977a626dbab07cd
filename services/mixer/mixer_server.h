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

class MixerServer final : public istio::mixer::v1::Mixer::CallbackService {
 public:
  using PolicyProvider = std::function<std::shared_ptr<const Policy>()>;
  MixerServer(const GlobalDictionary* dictionary, PolicyProvider policy, MetricsRegistry& metrics);

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const istio::mixer::v1::CheckRequest* request,
                                  istio::mixer::v1::CheckResponse* response) override;
  grpc::ServerUnaryReactor* Report(grpc::CallbackServerContext* context,
                                   const istio::mixer::v1::ReportRequest* request,
                                   istio::mixer::v1::ReportResponse* response) override;

 private:
  grpc::Status DoCheck(const Policy& policy, const istio::mixer::v1::CheckRequest& request,
                       istio::mixer::v1::CheckResponse& response);
  grpc::Status DoReport(const istio::mixer::v1::ReportRequest& request);

  const GlobalDictionary* dictionary_;
  const PolicyProvider policy_;
  prometheus::Family<prometheus::Counter>& checks_;
  prometheus::Counter& report_sets_;
};

}  // namespace keel::mixer

#endif  // KEEL_SERVICES_MIXER_MIXER_SERVER_H_
