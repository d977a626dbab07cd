// A generic ADS client (state-of-the-world or delta) that keeps a local copy
// of what it subscribed to and survives its server restarting.
//
// It holds the last accepted resources while the server is away, reconnects
// with exponential backoff (with jitter), and on a delta stream tells the
// server what it already holds (initial_resource_versions), so a returning
// server sends only what changed. Every update passes through the handler
// first: an error there NACKs the response (with the message as
// error_detail) and leaves the local copy as it was.
#ifndef KEEL_LIBS_XDS_ADS_CLIENT_H_
#define KEEL_LIBS_XDS_ADS_CLIENT_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "envoy/config/core/v3/base.pb.h"
#include "grpcpp/grpcpp.h"
#include "libs/xds/config_feed.h"
#include "libs/xds/resources.h"

namespace keel::xds {

struct AdsClientOptions {
  std::string server_address;  // "host:port"
  envoy::config::core::v3::Node node;
  bool delta = true;
  std::shared_ptr<grpc::ChannelCredentials> credentials;  // insecure if null
  // Names a resource of a state-of-the-world response (which carries bare
  // Anys); delta responses name their resources themselves.
  std::function<std::string(const google::protobuf::Any&)> sotw_resource_name;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  // The largest response accepted. gRPC's default (4 MiB) is smaller than
  // one type of a large mesh's config (20k VirtualServices).
  int max_receive_message_bytes = 64 << 20;
  // HTTP/2 keepalive: a ping after this long without frames, and the
  // connection given up when no answer comes within keepalive_timeout. A
  // hung server (a paused host: its TCP connection still open) is left
  // and the next address tried instead of waiting on it forever. Keel's
  // servers accept pings this often (service_host.cc). Zero: off.
  absl::Duration keepalive_time = absl::Seconds(10);
  absl::Duration keepalive_timeout = absl::Seconds(5);
  // Called (on the client's thread) when a stream ends other than by Stop(),
  // with the status the server or the channel gave.
  std::function<void(const grpc::Status&)> on_stream_end;
};

class AdsClient : public ConfigFeed {
 public:

  AdsClient(AdsClientOptions options, Handler handler);
  ~AdsClient() override;  // stops

  // Subscribe asks for `type_url`: the named resources, or all of them when
  // `names` is empty. Call before Start.
  void Subscribe(const std::string& type_url, std::set<std::string> names = {}) override;

  // Start connects (and keeps reconnecting) on a thread of its own.
  void Start() override;
  void Stop() override;

  // Resources returns the local copy of one type.
  std::map<std::string, std::shared_ptr<const XdsResource>> Resources(
      const std::string& type_url) const;
  // Version returns the last accepted version of a type ("" before any).
  std::string Version(const std::string& type_url) const;
  // Synced reports whether every subscribed type has received a response on
  // some connection (the local copy is complete).
  bool Synced() const;
  bool connected() const override;
  uint64_t connections() const;  // streams opened so far

  // WaitUntil blocks until `predicate` holds (checked after each update) or
  // the timeout passes; returns whether it holds.
  bool WaitUntil(const std::function<bool(const AdsClient&)>& predicate,
                 absl::Duration timeout) const;

 private:
  struct Subscription {
    std::set<std::string> names;
    std::map<std::string, std::shared_ptr<const XdsResource>> resources;
    std::string version;
    bool received = false;
  };

  void Run();
  bool Stopping() const;
  // One stream's life; returns when it ends.
  void RunSotw(grpc::ClientContext& context);
  void RunDelta(grpc::ClientContext& context);
  // Applies an update through the handler; returns the NACK message or "".
  std::string Apply(ResourceUpdate update, bool full_state);

  AdsClientOptions options_;
  Handler handler_;
  std::shared_ptr<grpc::Channel> channel_;

  mutable absl::Mutex mu_;
  std::map<std::string, Subscription> subscriptions_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t connections_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::ClientContext* active_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
};

}  // namespace keel::xds

#endif  // KEEL_LIBS_XDS_ADS_CLIENT_H_
