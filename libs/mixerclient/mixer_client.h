// MixerClient is how an application asks Mixer: Check before serving a
// request (through a cache that honours each answer's validity and what it
// depended on), and Report after, batched in the background. When Mixer
// cannot be reached, Check answers per the fail-open/closed setting.
//
//   MixerClient mixer({.channel = channel, .dictionary = dictionary});
//   absl::Status allowed = mixer.Check(bag);
//   ...
//   mixer.Report(std::move(bag));
#ifndef KEEL_LIBS_MIXERCLIENT_MIXER_CLIENT_H_
#define KEEL_LIBS_MIXERCLIENT_MIXER_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "libs/mixer/attributes.h"
#include "libs/mixer/global_dictionary.h"
#include "libs/mixerclient/check_cache.h"
#include "proto/istio/mixer/v1/mixer.grpc.pb.h"

namespace keel::mixerclient {

// MixerChannel is how an application reaches Mixer: over mutual TLS with
// the certificate its keel-agent keeps in `cert_dir` (key.pem,
// cert-chain.pem, root-cert.pem, reloaded as they are renewed), accepting
// only a Mixer whose certificate is `mixer_identity`. Mixer then knows the
// caller by its certificate. An empty `cert_dir` is plaintext, which Mixer
// serves only with --insecure_plaintext.
std::shared_ptr<grpc::Channel> MixerChannel(
    const std::string& address, const std::string& cert_dir,
    const std::string& mixer_identity = "spiffe://cluster.local/ns/keel-system/sa/keel-mixer");

struct MixerClientOptions {
  // Where Checks go, and Reports too unless `report_channel` is set (Mixer
  // split into policy and telemetry, as Istio's istio-policy and
  // istio-telemetry).
  std::shared_ptr<grpc::Channel> channel;
  std::shared_ptr<grpc::Channel> report_channel;
  // The global word list shared with Mixer: Istio 1.4's unless set (null:
  // every word travels in the message, and answers naming dictionary words
  // are not cached).
  std::shared_ptr<const mixer::GlobalDictionary> dictionary = mixer::GlobalDictionary::Istio14();
  // Istio's policyCheckFailOpen: false (the default) refuses requests while
  // Mixer cannot be asked.
  bool fail_open = false;
  bool check_cache = true;
  absl::Duration check_timeout = absl::Seconds(2);
  // Reports go when this many are queued, or this often.
  size_t report_batch_size = 100;
  absl::Duration report_interval = absl::Seconds(1);
  // Beyond this many queued (Mixer down), new reports are dropped and counted.
  size_t max_queued_reports = 10000;
};

// A quota asked for with a Check: the request is refused with
// RESOURCE_EXHAUSTED when Mixer grants less than `amount`.
struct QuotaAsk {
  std::string name;
  int64_t amount = 1;
};

class MixerClient {
 public:
  explicit MixerClient(MixerClientOptions options);
  // Sends what is queued, then stops.
  ~MixerClient();

  // Check is OK when Mixer allows the request; otherwise Mixer's status
  // (PERMISSION_DENIED, RESOURCE_EXHAUSTED, ...), or UNAVAILABLE when Mixer
  // cannot be reached and the client fails closed.
  absl::Status Check(const mixer::AttributeBag& bag, const std::vector<QuotaAsk>& quotas = {});
  // CheckAsync calls `done` with Check's answer, at once on a cache hit,
  // otherwise from a gRPC thread.
  void CheckAsync(mixer::AttributeBag bag, std::vector<QuotaAsk> quotas,
                  std::function<void(absl::Status)> done);

  // Report queues `bag` for the next batch.
  void Report(mixer::AttributeBag bag);
  // Flush sends everything queued now and waits until it is sent (or failed).
  void Flush();

  struct Stats {
    uint64_t check_rpcs = 0;
    uint64_t cache_hits = 0;
    uint64_t check_failures = 0;  // RPCs that did not reach an answer
    uint64_t report_rpcs = 0;
    uint64_t reported_sets = 0;
    uint64_t dropped_reports = 0;
  };
  Stats stats() const;

 private:
  absl::Status Answer(const grpc::Status& rpc, const istio::mixer::v1::CheckResponse& response,
                      const std::string& config_version, const mixer::AttributeBag& bag,
                      const std::vector<QuotaAsk>& quotas);
  void ReportLoop();
  // Sends one batch of at most report_batch_size; false when nothing was queued.
  bool SendBatch();

  const MixerClientOptions options_;
  const std::unique_ptr<istio::mixer::v1::Mixer::Stub> stub_;
  const std::unique_ptr<istio::mixer::v1::Mixer::Stub> report_stub_;
  CheckCache cache_;

  absl::Mutex config_mu_;
  std::string config_version_ ABSL_GUARDED_BY(config_mu_);

  absl::Mutex reports_mu_;
  std::vector<mixer::AttributeBag> queued_ ABSL_GUARDED_BY(reports_mu_);
  bool stopping_ ABSL_GUARDED_BY(reports_mu_) = false;
  uint64_t flush_requested_ ABSL_GUARDED_BY(reports_mu_) = 0;
  uint64_t flushed_ ABSL_GUARDED_BY(reports_mu_) = 0;

  std::atomic<uint64_t> check_rpcs_{0}, cache_hits_{0}, check_failures_{0}, report_rpcs_{0},
      reported_sets_{0}, dropped_reports_{0};
  std::thread reporter_;
};

}  // namespace keel::mixerclient

#endif  // KEEL_LIBS_MIXERCLIENT_MIXER_CLIENT_H_
