// A generic Aggregated Discovery Service server
// (envoy.service.discovery.v3.AggregatedDiscoveryService), state-of-the-world
// and delta, on gRPC's callback API: no thread per stream.
//
// Per stream and type it keeps the subscription (named or wildcard), the
// last version and nonce sent, the last version ACKed and the last NACK with
// the client's error detail. An ACK and a NACK are told apart by
// error_detail alone (a client that rejects part of a response may echo the
// new version). A response with a stale nonce is ignored and counted.
//
// Pushes: Push(types) marks those types dirty on every stream; each stream
// sends at most one response at a time and builds it from the source when it
// is sent, so a burst of changes coalesces into one response with the latest
// state, and a slow client only delays itself.
#ifndef KEEL_LIBS_XDS_ADS_SERVER_H_
#define KEEL_LIBS_XDS_ADS_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "libs/common/logging.h"
#include "libs/common/metrics.h"
#include "libs/xds/resources.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"

namespace keel::xds {

// What the server knows of one type on one stream (for debug pages).
struct TypeStatus {
  std::string type_url;
  bool wildcard = false;
  size_t subscribed_names = 0;
  std::string sent_version;
  std::string sent_nonce;
  std::string acked_version;
  std::string nacked_version;  // "" if the last response was not NACKed
  std::string nack_message;
  uint64_t responses = 0;
  uint64_t nacks = 0;
  uint64_t acks = 0;
};

struct StreamStatus {
  uint64_t id = 0;
  std::string node_id;
  envoy::config::core::v3::Node node;  // as the client sent it
  std::string peer;
  bool delta = false;
  absl::Time connected;
  std::vector<TypeStatus> types;
};

// Called for each NACK: node id, type URL, the NACKed version and the
// client's error message.
using NackObserver = std::function<void(const std::string& node_id, const std::string& type_url,
                                        const std::string& version, const std::string& message)>;

// Called when a client ACKs a response that a Push() caused: node id, type
// URL, and the time from the Push() to the ACK (the proxy's convergence).
using AckObserver = std::function<void(const std::string& node_id, const std::string& type_url,
                                       absl::Duration since_push)>;

struct AdsServerOptions {
  // Prefix of the server's metrics, e.g. "galley_mcp" or "pilot_xds".
  std::string metrics_prefix = "xds";
  NackObserver on_nack;
  AckObserver on_ack;
  // What clients may make the server hold. Past these a stream is refused
  // with a status that says which limit (RESOURCE_EXHAUSTED), or to come
  // back later (UNAVAILABLE, for the connection rate).
  size_t max_streams = 20000;
  double new_streams_per_second = 2000;  // sustained; bursts of as many
  size_t max_names_per_type = 5000;      // subscribed names, per type and stream
  // Who may open a stream: called with each new stream's context; a status
  // other than OK refuses it (PERMISSION_DENIED naming who may). Null: anyone
  // who reaches the port.
  std::function<grpc::Status(const grpc::CallbackServerContext&)> authorize;
};

class AdsServer
    : public envoy::service::discovery::v3::AggregatedDiscoveryService::CallbackService {
 public:
  // `source` must outlive the server; `metrics` may be null.
  AdsServer(ResourceSource* source, MetricsRegistry* metrics, AdsServerOptions options = {});
  ~AdsServer() override;

  // Push tells every stream subscribed to one of `type_urls` that they may
  // have changed. `affects` (optional) limits the push to some clients.
  void Push(const std::set<std::string>& type_urls,
            const std::function<bool(const envoy::config::core::v3::Node&)>& affects = nullptr);

  // Streams returns the status of every open stream.
  std::vector<StreamStatus> Streams() const;

  // SubscribedNames returns the resource names the streams of `node_id`
  // asked for (every current name for wildcard subscriptions).
  std::set<std::string> SubscribedNames(const std::string& node_id,
                                        const std::string& type_url) const;

  // ConnectedStreams returns the number of open streams.
  size_t ConnectedStreams() const;

  // Not for callers: the stream implementations report here.
  class Stream;
  struct Metrics;

  grpc::ServerBidiReactor<envoy::service::discovery::v3::DiscoveryRequest,
                          envoy::service::discovery::v3::DiscoveryResponse>*
  StreamAggregatedResources(grpc::CallbackServerContext* context) override;

  grpc::ServerBidiReactor<envoy::service::discovery::v3::DeltaDiscoveryRequest,
                          envoy::service::discovery::v3::DeltaDiscoveryResponse>*
  DeltaAggregatedResources(grpc::CallbackServerContext* context) override;

  // Register admits a new stream, or returns why not (limits above).
  grpc::Status Register(Stream* stream);
  void Unregister(Stream* stream);
  // LogNack logs a client's NACK: truncated, and rate-limited across streams.
  void LogNack(const std::string& node_id, const std::string& type_url, const std::string& version,
               const std::string& message);
  ResourceSource* source() { return source_; }
  Metrics* metrics() { return metrics_.get(); }
  const AdsServerOptions& options() const { return options_; }
  uint64_t NextStreamId();

 private:
  // RefStreams returns every open stream, each referenced once: the caller
  // visits them without the server lock, then unreferences each.
  std::vector<Stream*> RefStreams() const;

  ResourceSource* source_;
  AdsServerOptions options_;
  std::unique_ptr<Metrics> metrics_;
  mutable absl::Mutex mu_;
  std::set<Stream*> streams_ ABSL_GUARDED_BY(mu_);
  uint64_t next_stream_id_ ABSL_GUARDED_BY(mu_) = 1;
  double stream_tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time stream_tokens_at_ ABSL_GUARDED_BY(mu_) = absl::Now();
  std::unique_ptr<LogRateLimiter> nack_log_limiter_;
};

}  // namespace keel::xds

#endif  // KEEL_LIBS_XDS_ADS_SERVER_H_
