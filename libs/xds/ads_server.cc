#include "libs/xds/ads_server.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/stable_hash.h"
#include "spdlog/spdlog.h"

namespace keel::xds {

using envoy::config::core::v3::Node;
using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using envoy::service::discovery::v3::DeltaDiscoveryResponse;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;

struct AdsServer::Metrics {
  explicit Metrics(MetricsRegistry* registry, const std::string& prefix) {
    if (registry == nullptr) return;
    auto& r = registry->registry();
    pushes = &prometheus::BuildCounter()
                  .Name(prefix + "_pushes_total")
                  .Help("Responses sent, by type URL.")
                  .Register(r);
    acks = &prometheus::BuildCounter()
                .Name(prefix + "_acks_total")
                .Help("ACKs received, by type URL.")
                .Register(r);
    nacks = &prometheus::BuildCounter()
                 .Name(prefix + "_rejects_total")
                 .Help("NACKs received, by type URL.")
                 .Register(r);
    stale = &prometheus::BuildCounter()
                 .Name(prefix + "_stale_nonces_total")
                 .Help("Requests ignored because their nonce was not the latest sent.")
                 .Register(r);
    connected = &prometheus::BuildGauge()
                     .Name(prefix + "_connected_streams")
                     .Help("Open ADS streams.")
                     .Register(r)
                     .Add({});
  }
  void Count(prometheus::Family<prometheus::Counter>* family, const std::string& type_url) {
    if (family != nullptr) family->Add({{"type", type_url}}).Increment();
  }
  prometheus::Family<prometheus::Counter>* pushes = nullptr;
  prometheus::Family<prometheus::Counter>* acks = nullptr;
  prometheus::Family<prometheus::Counter>* nacks = nullptr;
  prometheus::Family<prometheus::Counter>* stale = nullptr;
  prometheus::Gauge* connected = nullptr;
};

// State shared by both stream kinds; the subclasses speak the protocol.
class AdsServer::Stream {
 public:
  Stream(AdsServer* server, grpc::CallbackServerContext* context, bool delta)
      : server_(server),
        id_(server->NextStreamId()),
        delta_(delta),
        peer_(context->peer()),
        connected_(absl::Now()) {}
  virtual ~Stream() = default;

  // A stream is referenced by gRPC until OnDone, and by every Push fanning
  // out to it, so a push can run without the server lock while streams come
  // and go; the last reference deletes it.
  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Push marks `type_urls` dirty if subscribed (and `affects` the node).
  void Push(const std::set<std::string>& type_urls,
            const std::function<bool(const Node&)>& affects) {
    absl::MutexLock lock(&mu_);
    if (finished_ || (affects && !affects(node_))) return;
    const absl::Time now = absl::Now();
    for (const std::string& type_url : type_urls) {
      if (types_.count(type_url) == 0) continue;
      // During a round answered from a pinned view, the change waits for
      // the next round (it is not in the pinned view).
      if (pinned_ != nullptr) {
        next_round_.insert(type_url);
        next_push_started_.emplace(type_url, now);  // the earliest unsent push counts
      } else {
        dirty_.insert(type_url);
        push_started_.emplace(type_url, now);
      }
    }
    MaybeWriteLocked();
  }

  // Names returns what this stream subscribed to for `type_url`, if it is
  // the stream of `node_id`.
  void CollectNames(const std::string& node_id, const std::string& type_url,
                    std::set<std::string>& out) {
    absl::MutexLock lock(&mu_);
    if (node_.id() != node_id) return;
    auto it = types_.find(type_url);
    if (it == types_.end()) return;
    if (it->second.wildcard) {
      auto resources = server_->source()->Resources(type_url, node_);
      if (resources != nullptr) {
        for (const auto& [name, r] : resources->resources) out.insert(name);
      }
    }
    out.insert(it->second.names.begin(), it->second.names.end());
  }

  StreamStatus Status() const {
    absl::MutexLock lock(&mu_);
    StreamStatus status{.id = id_,
                        .node_id = node_.id(),
                        .node = node_,
                        .peer = peer_,
                        .delta = delta_,
                        .connected = connected_};
    for (const auto& [type_url, state] : types_) {
      status.types.push_back(TypeStatus{.type_url = type_url,
                                        .wildcard = state.wildcard,
                                        .subscribed_names = state.names.size(),
                                        .sent_version = state.sent_version,
                                        .sent_nonce = state.sent_nonce,
                                        .acked_version = state.acked_version,
                                        .nacked_version = state.nacked_version,
                                        .nack_message = state.nack_message,
                                        .responses = state.responses,
                                        .nacks = state.nacks,
                                        .acks = state.acks});
    }
    return status;
  }

 protected:
  struct TypeState {
    bool wildcard = false;
    std::set<std::string> names;
    std::string sent_version;
    std::string sent_nonce;
    std::string acked_version;
    std::string nacked_version;
    std::string nack_message;
    uint64_t responses = 0;
    uint64_t nacks = 0;
    uint64_t acks = 0;
    // Delta: what the client holds, name -> version.
    std::map<std::string, std::string> client_versions;
    // When the Push() that caused the response in flight happened.
    std::optional<absl::Time> sent_for_push;
  };

  // Sends the next dirty type if no write is in flight. Called under mu_;
  // gRPC posts the completion, so starting the write under the lock is safe
  // and keeps it atomic with Finish().
  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!write_in_flight_ && !finished_) {
      if (dirty_.empty()) {
        EndRoundLocked();
        if (dirty_.empty()) break;
      }
      if (pinned_ == nullptr) pinned_ = server_->source()->Pin();
      const std::string type_url = *dirty_.begin();
      dirty_.erase(dirty_.begin());
      std::optional<absl::Time> pushed;
      if (auto it = push_started_.find(type_url); it != push_started_.end()) {
        pushed = it->second;
        push_started_.erase(it);
      }
      if (BuildAndStartWriteLocked(type_url)) {
        types_[type_url].sent_for_push = pushed;
        write_in_flight_ = true;
        // The round's last write holds what it sends, not the whole view: a
        // client that stops reading keeps no push alive.
        if (dirty_.empty()) EndRoundLocked();
        if (server_->metrics()) server_->metrics()->Count(server_->metrics()->pushes, type_url);
      }
    }
  }

  // EndRoundLocked drops the pinned view; what was pushed during the round
  // becomes the next round (read afresh).
  void EndRoundLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    pinned_.reset();
    for (const std::string& type_url : next_round_) dirty_.insert(type_url);
    next_round_.clear();
    for (const auto& [type_url, at] : next_push_started_) push_started_.emplace(type_url, at);
    next_push_started_.clear();
  }

  // What this round's responses are built from: the pinned view, or the
  // source itself when it does not pin.
  ResourceView* ViewLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return pinned_ != nullptr ? pinned_.get() : server_->source();
  }

  // Builds the response for `type_url` and starts writing it; false when
  // there is nothing new to send.
  virtual bool BuildAndStartWriteLocked(const std::string& type_url)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) = 0;

  std::string NextNonceLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return absl::StrCat(id_, "-", ++nonce_);
  }

  // Handles the nonce and error_detail of a request; returns false if the
  // request is stale and must be ignored.
  bool HandleAckLocked(const std::string& type_url, const std::string& nonce, bool has_error,
                       const std::string& error_message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (nonce.empty()) return true;
    TypeState& state = types_[type_url];
    if (nonce != state.sent_nonce) {
      if (server_->metrics()) server_->metrics()->Count(server_->metrics()->stale, type_url);
      return false;
    }
    if (has_error) {
      state.nacked_version = state.sent_version;
      state.nack_message = error_message;
      ++state.nacks;
      if (server_->metrics()) server_->metrics()->Count(server_->metrics()->nacks, type_url);
      server_->LogNack(node_.id(), type_url, state.sent_version, error_message);
      if (server_->options().on_nack) {
        server_->options().on_nack(node_.id(), type_url, state.sent_version, error_message);
      }
    } else {
      state.acked_version = state.sent_version;
      ++state.acks;
      state.nacked_version.clear();
      state.nack_message.clear();
      if (state.sent_for_push.has_value() && server_->options().on_ack) {
        server_->options().on_ack(node_.id(), type_url, absl::Now() - *state.sent_for_push);
      }
      state.sent_for_push.reset();
      if (server_->metrics()) server_->metrics()->Count(server_->metrics()->acks, type_url);
    }
    return true;
  }

  // A type no source serves is refused before any state is kept for it.
  grpc::Status CheckTypeLocked(const std::string& type_url) const {
    if (types_.count(type_url) > 0 || server_->source()->Serves(type_url)) return grpc::Status::OK;
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("type URL \"", ClientText(type_url, 200), "\" is not served here"));
  }

  grpc::Status CheckNamesLocked(const std::string& type_url, size_t names) const {
    const size_t limit = server_->options().max_names_per_type;
    if (names <= limit) return grpc::Status::OK;
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat(names, " resource names for ", type_url,
                                     " exceed the limit of ", limit, " per stream"));
  }

  AdsServer* server_;
  const uint64_t id_;
  const bool delta_;
  const std::string peer_;
  const absl::Time connected_;

  mutable absl::Mutex mu_;
  Node node_ ABSL_GUARDED_BY(mu_);
  bool have_node_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, TypeState> types_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> dirty_ ABSL_GUARDED_BY(mu_);  // this round's types to send
  // The view this round is answered from (null between rounds, or for a
  // source that does not pin), and the types pushed during the round.
  std::shared_ptr<ResourceView> pinned_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> next_round_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> next_push_started_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> push_started_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t nonce_ ABSL_GUARDED_BY(mu_) = 0;

 private:
  std::atomic<int> refs_{1};  // gRPC's, until OnDone
};

namespace {

template <typename Request, typename Response>
class StreamReactor : public AdsServer::Stream, public grpc::ServerBidiReactor<Request, Response> {
 public:
  StreamReactor(AdsServer* server, grpc::CallbackServerContext* context, bool delta)
      : Stream(server, context, delta), server_ptr_(server) {
    if (!server->source()->Ready()) {
      absl::MutexLock lock(&mu_);
      finished_ = true;
      this->Finish(
          grpc::Status(grpc::StatusCode::UNAVAILABLE, "not ready: configuration is still loading"));
      return;
    }
    if (server->options().authorize) {
      if (grpc::Status allowed = server->options().authorize(*context); !allowed.ok()) {
        absl::MutexLock lock(&mu_);
        finished_ = true;
        this->Finish(allowed);
        return;
      }
    }
    if (grpc::Status admitted = server->Register(this); !admitted.ok()) {
      absl::MutexLock lock(&mu_);
      finished_ = true;
      this->Finish(admitted);
      return;
    }
    registered_ = true;
    this->StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    if (!ok) {  // the client closed its side, or the stream broke
      FinishLocked(grpc::Status::OK);
      return;
    }
    if (finished_) return;
    grpc::Status status = HandleRequestLocked(request_);
    if (!status.ok()) {
      FinishLocked(status);
      return;
    }
    MaybeWriteLocked();
    this->StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    write_in_flight_ = false;
    // A sent response keeps nothing: an idle stream holds no copy of what it
    // was last sent (Clear() would keep the resources' memory for reuse).
    Response().Swap(&response_);
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
      return;
    }
    MaybeWriteLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    if (registered_) server_ptr_->Unregister(this);
    Unref();  // gRPC's reference; a push may still hold one
  }

 protected:
  virtual grpc::Status HandleRequestLocked(const Request& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) = 0;

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    this->Finish(status);
  }

  Request request_;
  Response response_;  // the one in flight

 private:
  AdsServer* server_ptr_;
  bool registered_ = false;
};

class SotwStream : public StreamReactor<DiscoveryRequest, DiscoveryResponse> {
 public:
  SotwStream(AdsServer* server, grpc::CallbackServerContext* context)
      : StreamReactor(server, context, /*delta=*/false) {}

 protected:
  grpc::Status HandleRequestLocked(const DiscoveryRequest& request) override {
    if (request.type_url().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "DiscoveryRequest without type_url");
    }
    if (!have_node_ && request.has_node()) {
      node_ = request.node();
      have_node_ = true;
    }
    const std::string& type_url = request.type_url();
    if (grpc::Status known = CheckTypeLocked(type_url); !known.ok()) return known;
    if (grpc::Status bounded = CheckNamesLocked(type_url, request.resource_names_size());
        !bounded.ok()) {
      return bounded;
    }
    if (!HandleAckLocked(type_url, request.response_nonce(), request.has_error_detail(),
                         request.error_detail().message())) {
      return grpc::Status::OK;  // stale: ignore
    }
    TypeState& state = types_[type_url];
    std::set<std::string> names(request.resource_names().begin(), request.resource_names().end());
    // Legacy wildcard: no names on the first request of a type; "*" always.
    const bool first = request.response_nonce().empty() && state.sent_nonce.empty();
    bool wildcard =
        names.erase("*") > 0 || (first && names.empty()) || (state.wildcard && names.empty());
    const bool changed = first || request.response_nonce().empty() || wildcard != state.wildcard ||
                         names != state.names;
    state.wildcard = wildcard;
    state.names = std::move(names);
    if (changed && !request.has_error_detail()) {
      state.sent_version.clear();  // force a response
      dirty_.insert(type_url);
    }
    return grpc::Status::OK;
  }

  bool BuildAndStartWriteLocked(const std::string& type_url) override {
    TypeState& state = types_[type_url];
    std::shared_ptr<const TypeResources> resources = ViewLocked()->Resources(type_url, node_);
    // A type the source does not hold (yet) gets no answer: an empty one
    // would tell the client it holds the full, empty state.
    if (resources == nullptr) return false;
    // A wildcard subscriber's version is the type's; a named subscriber's
    // covers only its names, so a change elsewhere wakes it for nothing.
    std::string version = resources->version;
    std::vector<const XdsResource*> selected;
    if (state.wildcard) {
      selected.reserve(resources->resources.size());
      for (const auto& [name, resource] : resources->resources) selected.push_back(resource.get());
    } else {
      StableHash hash;
      for (const std::string& name : state.names) {
        auto it = resources->resources.find(name);
        hash.Add(name).Add(it == resources->resources.end() ? "-" : it->second->version);
        if (it != resources->resources.end()) selected.push_back(it->second.get());
      }
      version = hash.Hex();
    }
    if (!state.sent_version.empty() && version == state.sent_version) return false;
    response_.Clear();
    response_.set_type_url(type_url);
    response_.set_version_info(version);
    response_.mutable_resources()->Reserve(static_cast<int>(selected.size()));
    for (const XdsResource* resource : selected) *response_.add_resources() = resource->body;
    state.sent_version = version;
    state.sent_nonce = NextNonceLocked();
    response_.set_nonce(state.sent_nonce);
    ++state.responses;
    StartWrite(&response_);
    return true;
  }
};

class DeltaStream : public StreamReactor<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
 public:
  DeltaStream(AdsServer* server, grpc::CallbackServerContext* context)
      : StreamReactor(server, context, /*delta=*/true) {}

 protected:
  grpc::Status HandleRequestLocked(const DeltaDiscoveryRequest& request) override {
    if (request.type_url().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "DeltaDiscoveryRequest without type_url");
    }
    if (!have_node_ && request.has_node()) {
      node_ = request.node();
      have_node_ = true;
    }
    const std::string& type_url = request.type_url();
    if (grpc::Status known = CheckTypeLocked(type_url); !known.ok()) return known;
    // A stale nonce voids only the request's ACK/NACK. Its subscription
    // changes are deltas: they apply whatever the nonce, or they are lost
    // for good (the client never sends them again).
    HandleAckLocked(type_url, request.response_nonce(), request.has_error_detail(),
                    request.error_detail().message());
    const bool first = types_.count(type_url) == 0;
    TypeState& state = types_[type_url];
    bool changed = false;
    if (first) {
      // What the client already holds (after a reconnect) is not resent.
      // A named subscriber's claim is bounded like its names; a wildcard
      // subscriber's lasts only until the first response (which removes
      // what the server does not hold), within gRPC's request size limit.
      const bool wildcard = request.resource_names_subscribe().empty() ||
                            std::find(request.resource_names_subscribe().begin(),
                                      request.resource_names_subscribe().end(),
                                      "*") != request.resource_names_subscribe().end();
      if (!wildcard) {
        if (grpc::Status bounded =
                CheckNamesLocked(type_url, request.initial_resource_versions_size());
            !bounded.ok()) {
          return bounded;
        }
      }
      for (const auto& [name, version] : request.initial_resource_versions()) {
        state.client_versions[name] = version;
      }
      state.wildcard = request.resource_names_subscribe().empty();
      changed = true;
    }
    for (const std::string& name : request.resource_names_subscribe()) {
      if (name == "*") {
        changed |= !state.wildcard;
        state.wildcard = true;
      } else if (state.names.insert(name).second) {
        changed = true;
      }
    }
    for (const std::string& name : request.resource_names_unsubscribe()) {
      if (name == "*") {
        state.wildcard = false;
      } else {
        state.names.erase(name);
      }
      state.client_versions.erase(name);
    }
    if (grpc::Status bounded = CheckNamesLocked(type_url, state.names.size()); !bounded.ok()) {
      return bounded;
    }
    if (changed) dirty_.insert(type_url);
    return grpc::Status::OK;
  }

  bool BuildAndStartWriteLocked(const std::string& type_url) override {
    TypeState& state = types_[type_url];
    std::shared_ptr<const TypeResources> resources = ViewLocked()->Resources(type_url, node_);
    if (resources == nullptr) return false;  // not held (yet): no answer, as above
    response_.Clear();
    response_.set_type_url(type_url);
    response_.set_system_version_info(resources->version);
    // A named subscriber costs its names, not the size of the type.
    auto offer = [&](const std::string& name, const XdsResource& resource) {
      auto held = state.client_versions.find(name);
      if (held != state.client_versions.end() && held->second == resource.version) return;
      auto* out = response_.add_resources();
      out->set_name(name);
      out->set_version(resource.version);
      *out->mutable_resource() = resource.body;
      state.client_versions[name] = resource.version;
    };
    if (state.wildcard) {
      for (const auto& [name, resource] : resources->resources) offer(name, *resource);
    } else {
      for (const std::string& name : state.names) {
        if (auto it = resources->resources.find(name); it != resources->resources.end()) {
          offer(name, *it->second);
        }
      }
    }
    for (auto it = state.client_versions.begin(); it != state.client_versions.end();) {
      const bool exists = resources->resources.count(it->first) > 0;
      if (!exists) {
        response_.add_removed_resources(it->first);
        it = state.client_versions.erase(it);
      } else {
        ++it;
      }
    }
    // The first response for a type is sent even when empty, so the client
    // knows it has the full (empty) state.
    const bool first_response = state.sent_nonce.empty();
    if (response_.resources_size() == 0 && response_.removed_resources_size() == 0 &&
        !first_response) {
      return false;
    }
    state.sent_version = response_.system_version_info();
    state.sent_nonce = NextNonceLocked();
    response_.set_nonce(state.sent_nonce);
    ++state.responses;
    StartWrite(&response_);
    return true;
  }
};

}  // namespace

AdsServer::AdsServer(ResourceSource* source, MetricsRegistry* metrics, AdsServerOptions options)
    : source_(source),
      options_(std::move(options)),
      metrics_(std::make_unique<Metrics>(metrics, options_.metrics_prefix)),
      stream_tokens_(options_.new_streams_per_second),
      nack_log_limiter_(std::make_unique<LogRateLimiter>(10)) {}

AdsServer::~AdsServer() = default;

grpc::ServerBidiReactor<DiscoveryRequest, DiscoveryResponse>* AdsServer::StreamAggregatedResources(
    grpc::CallbackServerContext* context) {
  return new SotwStream(this, context);
}

grpc::ServerBidiReactor<DeltaDiscoveryRequest, DeltaDiscoveryResponse>*
AdsServer::DeltaAggregatedResources(grpc::CallbackServerContext* context) {
  return new DeltaStream(this, context);
}

uint64_t AdsServer::NextStreamId() {
  absl::MutexLock lock(&mu_);
  return next_stream_id_++;
}

grpc::Status AdsServer::Register(Stream* stream) {
  absl::MutexLock lock(&mu_);
  if (streams_.size() >= options_.max_streams) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("too many streams: the limit is ", options_.max_streams));
  }
  // A token bucket: a reconnect storm is spread out, not served at once.
  const absl::Time now = absl::Now();
  stream_tokens_ = std::min(options_.new_streams_per_second,
                            stream_tokens_ + absl::ToDoubleSeconds(now - stream_tokens_at_) *
                                                 options_.new_streams_per_second);
  stream_tokens_at_ = now;
  if (stream_tokens_ < 1) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("too many new streams (over ", options_.new_streams_per_second,
                                     " per second): retry later"));
  }
  stream_tokens_ -= 1;
  streams_.insert(stream);
  if (metrics_->connected) metrics_->connected->Set(static_cast<double>(streams_.size()));
  return grpc::Status::OK;
}

void AdsServer::LogNack(const std::string& node_id, const std::string& type_url,
                        const std::string& version, const std::string& message) {
  uint64_t dropped = 0;
  if (!nack_log_limiter_->Allow(&dropped)) return;
  spdlog::warn("xDS NACK from {} for {} version {}: {}{}", ClientText(node_id, 128), type_url,
               version, ClientText(message, 512),
               dropped > 0 ? absl::StrCat(" (", dropped, " more NACKs not logged)") : "");
}

void AdsServer::Unregister(Stream* stream) {
  absl::MutexLock lock(&mu_);
  streams_.erase(stream);
  if (metrics_->connected) metrics_->connected->Set(static_cast<double>(streams_.size()));
}

std::vector<AdsServer::Stream*> AdsServer::RefStreams() const {
  absl::MutexLock lock(&mu_);
  std::vector<Stream*> streams;
  streams.reserve(streams_.size());
  for (Stream* stream : streams_) {
    stream->Ref();
    streams.push_back(stream);
  }
  return streams;
}

// Push, Streams and SubscribedNames visit the streams outside the server
// lock: each stream answers under its own lock, which a push building that
// stream's response holds, and connects and disconnects must not wait behind
// it.
void AdsServer::Push(const std::set<std::string>& type_urls,
                     const std::function<bool(const Node&)>& affects) {
  for (Stream* stream : RefStreams()) {
    stream->Push(type_urls, affects);
    stream->Unref();
  }
}

std::vector<StreamStatus> AdsServer::Streams() const {
  std::vector<StreamStatus> out;
  for (Stream* stream : RefStreams()) {
    out.push_back(stream->Status());
    stream->Unref();
  }
  return out;
}

std::set<std::string> AdsServer::SubscribedNames(const std::string& node_id,
                                                 const std::string& type_url) const {
  std::set<std::string> names;
  for (Stream* stream : RefStreams()) {
    stream->CollectNames(node_id, type_url, names);
    stream->Unref();
  }
  return names;
}

size_t AdsServer::ConnectedStreams() const {
  absl::MutexLock lock(&mu_);
  return streams_.size();
}

}  // namespace keel::xds
