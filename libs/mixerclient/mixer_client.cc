#include "libs/mixerclient/mixer_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "libs/mtls/credentials.h"

namespace keel::mixerclient {

std::shared_ptr<grpc::Channel> MixerChannel(const std::string& address,
                                            const std::string& cert_dir,
                                            const std::string& mixer_identity) {
  if (cert_dir.empty()) return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  return grpc::CreateChannel(
      address, mtls::ChannelCredentialsFromFiles(mtls::TlsFiles::InDirectory(cert_dir),
                                                 mtls::kCredentialRefresh, mixer_identity));
}

namespace {

namespace v1 = istio::mixer::v1;

const mixer::GlobalDictionary& NoWords() {
  static const auto* empty = new mixer::GlobalDictionary();
  return *empty;
}

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

}  // namespace

MixerClient::MixerClient(MixerClientOptions options)
    : options_(std::move(options)),
      stub_(v1::Mixer::NewStub(options_.channel)),
      report_stub_(v1::Mixer::NewStub(options_.report_channel != nullptr ? options_.report_channel
                                                                          : options_.channel)),
      reporter_([this] { ReportLoop(); }) {}

MixerClient::~MixerClient() {
  {
    absl::MutexLock lock(&reports_mu_);
    stopping_ = true;
  }
  reporter_.join();
}

absl::Status MixerClient::Check(const mixer::AttributeBag& bag,
                                const std::vector<QuotaAsk>& quotas) {
  absl::Notification done;
  absl::Status answer;
  CheckAsync(bag, quotas, [&](absl::Status status) {
    answer = std::move(status);
    done.Notify();
  });
  done.WaitForNotification();
  return answer;
}

void MixerClient::CheckAsync(mixer::AttributeBag bag, std::vector<QuotaAsk> quotas,
                             std::function<void(absl::Status)> done) {
  // Quotas are spent per request: only a plain precondition is cached.
  if (options_.check_cache && quotas.empty()) {
    if (std::optional<absl::Status> hit = cache_.Lookup(bag, absl::Now())) {
      ++cache_hits_;
      done(*std::move(hit));
      return;
    }
  }
  ++check_rpcs_;
  struct Call {
    grpc::ClientContext context;
    v1::CheckRequest request;
    v1::CheckResponse response;
    mixer::AttributeBag bag;
    std::vector<QuotaAsk> quotas;
    std::function<void(absl::Status)> done;
  };
  auto call = std::make_shared<Call>();
  const mixer::GlobalDictionary& words = options_.dictionary ? *options_.dictionary : NoWords();
  *call->request.mutable_attributes() = mixer::Encode(bag, words);
  call->request.set_global_word_count(static_cast<uint32_t>(words.size()));
  for (const QuotaAsk& quota : quotas) {
    (*call->request.mutable_quotas())[quota.name].set_amount(quota.amount);
  }
  call->context.set_deadline(absl::ToChronoTime(absl::Now() + options_.check_timeout));
  call->bag = std::move(bag);
  call->quotas = std::move(quotas);
  call->done = std::move(done);
  stub_->async()->Check(&call->context, &call->request, &call->response,
                        [this, call](grpc::Status rpc) {
                          std::string version;
                          const auto& metadata = call->context.GetServerInitialMetadata();
                          if (auto it = metadata.find(mixer::kConfigVersionMetadata);
                              it != metadata.end()) {
                            version.assign(it->second.data(), it->second.size());
                          }
                          call->done(Answer(rpc, call->response, version, call->bag, call->quotas));
                        });
}

absl::Status MixerClient::Answer(const grpc::Status& rpc, const v1::CheckResponse& response,
                                 const std::string& config_version,
                                 const mixer::AttributeBag& bag,
                                 const std::vector<QuotaAsk>& quotas) {
  if (!rpc.ok()) {
    ++check_failures_;
    if (options_.fail_open) return absl::OkStatus();
    return absl::UnavailableError(
        absl::StrCat("policy check failed (Mixer: ", rpc.error_message(), "); failing closed"));
  }
  // Answers of an older config must not outlive it.
  {
    absl::MutexLock lock(&config_mu_);
    if (config_version != config_version_) {
      if (!config_version_.empty()) cache_.Clear();
      config_version_ = config_version;
    }
  }
  const v1::CheckResponse::PreconditionResult& precondition = response.precondition();
  absl::Status status(static_cast<absl::StatusCode>(precondition.status().code()),
                      precondition.status().message());
  if (options_.check_cache && quotas.empty()) {
    const mixer::GlobalDictionary& words = options_.dictionary ? *options_.dictionary : NoWords();
    absl::StatusOr<std::vector<mixer::ReferencedValue>> referenced =
        mixer::DecodeReferences(precondition.referenced_attributes(), words);
    if (referenced.ok()) {
      cache_.Insert(bag, *referenced, status, FromProto(precondition.valid_duration()),
                    precondition.valid_use_count(), absl::Now());
    }
  }
  if (!status.ok()) return status;
  for (const QuotaAsk& quota : quotas) {
    auto it = response.quotas().find(quota.name);
    const int64_t granted = it == response.quotas().end() ? 0 : it->second.granted_amount();
    if (granted < quota.amount) {
      return absl::ResourceExhaustedError(
          absl::StrCat("quota ", quota.name, " exhausted: granted ", granted, " of ", quota.amount));
    }
  }
  return absl::OkStatus();
}

void MixerClient::Report(mixer::AttributeBag bag) {
  absl::MutexLock lock(&reports_mu_);
  if (queued_.size() >= options_.max_queued_reports) {
    ++dropped_reports_;
    return;
  }
  queued_.push_back(std::move(bag));
}

void MixerClient::Flush() {
  absl::MutexLock lock(&reports_mu_);
  const uint64_t ticket = ++flush_requested_;
  auto sent = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(reports_mu_) {
    return flushed_ >= ticket;
  };
  reports_mu_.Await(absl::Condition(&sent));
}

void MixerClient::ReportLoop() {
  while (true) {
    uint64_t flush_target = 0;
    bool stopping = false;
    {
      absl::MutexLock lock(&reports_mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(reports_mu_) {
        return stopping_ || flush_requested_ > flushed_ ||
               queued_.size() >= options_.report_batch_size;
      };
      reports_mu_.AwaitWithTimeout(absl::Condition(&wake), options_.report_interval);
      flush_target = flush_requested_;
      stopping = stopping_;
    }
    while (SendBatch()) {
    }
    {
      absl::MutexLock lock(&reports_mu_);
      flushed_ = std::max(flushed_, flush_target);
    }
    if (stopping) return;
  }
}

bool MixerClient::SendBatch() {
  std::vector<mixer::AttributeBag> batch;
  {
    absl::MutexLock lock(&reports_mu_);
    if (queued_.empty()) return false;
    const size_t n = std::min(queued_.size(), options_.report_batch_size);
    batch.assign(std::make_move_iterator(queued_.begin()),
                 std::make_move_iterator(queued_.begin() + static_cast<long>(n)));
    queued_.erase(queued_.begin(), queued_.begin() + static_cast<long>(n));
  }
  const mixer::GlobalDictionary& words = options_.dictionary ? *options_.dictionary : NoWords();
  v1::ReportRequest request;
  request.set_global_word_count(static_cast<uint32_t>(words.size()));
  request.set_repeated_attributes_semantics(v1::ReportRequest::INDEPENDENT_ENCODING);
  for (const mixer::AttributeBag& bag : batch) *request.add_attributes() = mixer::Encode(bag, words);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.check_timeout));
  v1::ReportResponse response;
  ++report_rpcs_;
  grpc::Status sent = report_stub_->Report(&context, request, &response);
  if (sent.ok()) {
    reported_sets_ += batch.size();
  } else {
    // Telemetry is best effort: a batch Mixer did not take is counted, not retried.
    dropped_reports_ += batch.size();
  }
  return true;
}

MixerClient::Stats MixerClient::stats() const {
  return Stats{.check_rpcs = check_rpcs_.load(),
               .cache_hits = cache_hits_.load(),
               .check_failures = check_failures_.load(),
               .report_rpcs = report_rpcs_.load(),
               .reported_sets = reported_sets_.load(),
               .dropped_reports = dropped_reports_.load()};
}

}  // namespace keel::mixerclient
