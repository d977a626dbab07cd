#include "libs/xds/ads_client.h"

#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "libs/common/net.h"
#include "spdlog/spdlog.h"

namespace keel::xds {

using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using envoy::service::discovery::v3::DeltaDiscoveryResponse;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;

AdsClient::AdsClient(AdsClientOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {
  auto credentials =
      options_.credentials ? options_.credentials : grpc::InsecureChannelCredentials();
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(options_.max_receive_message_bytes);
  if (options_.keepalive_time > absl::ZeroDuration()) {
    arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, absl::ToInt64Milliseconds(options_.keepalive_time));
    arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, absl::ToInt64Milliseconds(options_.keepalive_timeout));
    // The streams are long and often quiet: ping without data too.
    arguments.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  }
  // Several addresses ("a:1,b:2"): one channel that fails over across them.
  channel_ = grpc::CreateCustomChannel(GrpcTargetFor(options_.server_address), credentials, arguments);
}

namespace {

// A stream that ends because the server went away is routine (it is retried
// quietly); any other end means config cannot flow, which an operator must
// see (a response over the size limit, once visible only at debug level).
void LogStreamEnd(const std::string& server, const grpc::Status& status) {
  if (status.ok() || status.error_code() == grpc::StatusCode::CANCELLED) return;
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    // A server going away is routine; one that answers but fails the TLS
    // handshake (a wrong identity, an untrusted certificate) is not.
    const std::string& message = status.error_message();
    if (absl::StrContains(message, "andshake") || absl::StrContains(message, "ertificate") ||
        absl::StrContains(message, "SSL") || absl::StrContains(message, "TLS")) {
      spdlog::warn("TLS with {} failed: {}", server, message);
      return;
    }
    spdlog::debug("ADS stream to {} ended: {}", server, message);
    return;
  }
  spdlog::error("ADS stream to {} failed ({}): {}", server, static_cast<int>(status.error_code()),
                status.error_message());
}

}  // namespace

AdsClient::~AdsClient() { Stop(); }

void AdsClient::Subscribe(const std::string& type_url, std::set<std::string> names) {
  absl::MutexLock lock(&mu_);
  subscriptions_[type_url].names = std::move(names);
}

void AdsClient::Start() {
  thread_ = std::thread([this] { Run(); });
}

void AdsClient::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (active_context_ != nullptr) active_context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

void AdsClient::Run() {
  absl::Duration backoff = options_.initial_backoff;
  std::mt19937 random(std::random_device{}());
  while (true) {
    grpc::ClientContext context;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      active_context_ = &context;
      ++connections_;
    }
    const absl::Time started = absl::Now();
    if (options_.delta) {
      RunDelta(context);
    } else {
      RunSotw(context);
    }
    {
      absl::MutexLock lock(&mu_);
      active_context_ = nullptr;
      connected_ = false;
      if (stopping_) return;
    }
    // A stream that lived a while resets the backoff.
    if (absl::Now() - started > absl::Seconds(10)) backoff = options_.initial_backoff;
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    const absl::Duration wait = backoff * jitter(random);
    backoff = std::min(backoff * 2, options_.max_backoff);
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(
                             +[](bool* stopping) { return *stopping; }, &stopping_),
                         wait);
    if (stopping_) return;
  }
}

std::string AdsClient::Apply(ResourceUpdate update, bool full_state) {
  absl::Status status = handler_ ? handler_(update) : absl::OkStatus();
  if (!status.ok()) return std::string(status.message());
  absl::MutexLock lock(&mu_);
  Subscription& subscription = subscriptions_[update.type_url];
  if (full_state) subscription.resources.clear();
  for (const std::string& name : update.removed) subscription.resources.erase(name);
  for (auto& [name, resource] : update.updated) subscription.resources[name] = resource;
  subscription.version = update.version;
  subscription.received = true;
  return "";
}

void AdsClient::RunSotw(grpc::ClientContext& context) {
  auto stub = AggregatedDiscoveryService::NewStub(channel_);
  auto stream = stub->StreamAggregatedResources(&context);
  std::map<std::string, std::set<std::string>> names;
  std::map<std::string, std::string> versions;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [type_url, subscription] : subscriptions_) {
      names[type_url] = subscription.names;
      versions[type_url] = subscription.version;
    }
  }
  bool first = true;
  for (const auto& [type_url, type_names] : names) {
    DiscoveryRequest request;
    request.set_type_url(type_url);
    request.set_version_info(versions[type_url]);
    if (first) *request.mutable_node() = options_.node;
    first = false;
    for (const std::string& name : type_names) request.add_resource_names(name);
    if (!stream->Write(request)) break;
  }
  DiscoveryResponse response;
  while (stream->Read(&response)) {
    {
      absl::MutexLock lock(&mu_);
      connected_ = true;
    }
    ResourceUpdate update{.type_url = response.type_url(), .version = response.version_info(),
                          .full_state = true};
    for (const auto& any : response.resources()) {
      auto resource = std::make_shared<XdsResource>();
      resource->body = any;
      resource->name = options_.sotw_resource_name ? options_.sotw_resource_name(any)
                                                   : absl::StrCat(update.updated.size());
      resource->version = response.version_info();
      update.updated[resource->name] = std::move(resource);
    }
    const std::string nack = Apply(std::move(update), /*full_state=*/true);
    DiscoveryRequest ack;
    ack.set_type_url(response.type_url());
    ack.set_response_nonce(response.nonce());
    for (const std::string& name : names[response.type_url()]) ack.add_resource_names(name);
    if (nack.empty()) {
      ack.set_version_info(response.version_info());
    } else {
      absl::MutexLock lock(&mu_);
      ack.set_version_info(subscriptions_[response.type_url()].version);
      ack.mutable_error_detail()->set_code(grpc::StatusCode::INVALID_ARGUMENT);
      ack.mutable_error_detail()->set_message(nack);
    }
    if (!stream->Write(ack)) break;
  }
  grpc::Status status = stream->Finish();
  LogStreamEnd(options_.server_address, status);
  if (options_.on_stream_end && !Stopping()) options_.on_stream_end(status);
}

void AdsClient::RunDelta(grpc::ClientContext& context) {
  auto stub = AggregatedDiscoveryService::NewStub(channel_);
  auto stream = stub->DeltaAggregatedResources(&context);
  bool first = true;
  std::vector<DeltaDiscoveryRequest> requests;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [type_url, subscription] : subscriptions_) {
      DeltaDiscoveryRequest request;
      request.set_type_url(type_url);
      if (first) *request.mutable_node() = options_.node;
      first = false;
      for (const std::string& name : subscription.names) request.add_resource_names_subscribe(name);
      if (subscription.names.empty()) request.add_resource_names_subscribe("*");
      for (const auto& [name, resource] : subscription.resources) {
        (*request.mutable_initial_resource_versions())[name] = resource->version;
      }
      requests.push_back(std::move(request));
    }
  }
  for (const DeltaDiscoveryRequest& request : requests) {
    if (!stream->Write(request)) break;
  }
  DeltaDiscoveryResponse response;
  while (stream->Read(&response)) {
    {
      absl::MutexLock lock(&mu_);
      connected_ = true;
    }
    ResourceUpdate update{.type_url = response.type_url(),
                          .version = response.system_version_info()};
    for (const auto& wire : response.resources()) {
      auto resource = std::make_shared<XdsResource>();
      resource->name = wire.name();
      resource->version = wire.version();
      resource->body = wire.resource();
      update.updated[wire.name()] = std::move(resource);
    }
    update.removed.insert(response.removed_resources().begin(), response.removed_resources().end());
    const std::string nack = Apply(std::move(update), /*full_state=*/false);
    DeltaDiscoveryRequest ack;
    ack.set_type_url(response.type_url());
    ack.set_response_nonce(response.nonce());
    if (!nack.empty()) {
      ack.mutable_error_detail()->set_code(grpc::StatusCode::INVALID_ARGUMENT);
      ack.mutable_error_detail()->set_message(nack);
    }
    if (!stream->Write(ack)) break;
  }
  grpc::Status status = stream->Finish();
  LogStreamEnd(options_.server_address, status);
  if (options_.on_stream_end && !Stopping()) options_.on_stream_end(status);
}

bool AdsClient::Stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

std::map<std::string, std::shared_ptr<const XdsResource>> AdsClient::Resources(
    const std::string& type_url) const {
  absl::MutexLock lock(&mu_);
  auto it = subscriptions_.find(type_url);
  return it == subscriptions_.end() ? std::map<std::string, std::shared_ptr<const XdsResource>>{}
                                    : it->second.resources;
}

std::string AdsClient::Version(const std::string& type_url) const {
  absl::MutexLock lock(&mu_);
  auto it = subscriptions_.find(type_url);
  return it == subscriptions_.end() ? "" : it->second.version;
}

bool AdsClient::Synced() const {
  absl::MutexLock lock(&mu_);
  for (const auto& [type_url, subscription] : subscriptions_) {
    if (!subscription.received) return false;
  }
  return true;
}

bool AdsClient::connected() const {
  absl::MutexLock lock(&mu_);
  return connected_;
}

uint64_t AdsClient::connections() const {
  absl::MutexLock lock(&mu_);
  return connections_;
}

bool AdsClient::WaitUntil(const std::function<bool(const AdsClient&)>& predicate,
                          absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (predicate(*this)) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return predicate(*this);
}

}  // namespace keel::xds
