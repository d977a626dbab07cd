#include "libs/etcd/client.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "libs/common/net.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace keel::etcd {
namespace {

namespace pb = ::etcdserverpb;

absl::Status FromGrpc(const grpc::Status& status, absl::string_view what) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("etcd ", what, ": ", status.error_message()));
}

KeyValue FromProto(const mvccpb::KeyValue& kv) {
  return KeyValue{.key = kv.key(),
                  .value = kv.value(),
                  .create_revision = kv.create_revision(),
                  .mod_revision = kv.mod_revision(),
                  .lease = kv.lease()};
}

class PrefixWatch final : public EtcdClient::Watch {
 public:
  PrefixWatch(pb::Watch::Stub* stub, std::string prefix, int64_t start_revision,
              std::function<void(const WatchBatch&)> on_batch,
              std::function<void(const absl::Status&)> on_health)
      : stub_(stub),
        prefix_(std::move(prefix)),
        next_revision_(start_revision),
        on_batch_(std::move(on_batch)),
        on_health_(std::move(on_health)),
        thread_([this] { Run(); }) {}

  ~PrefixWatch() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      if (context_ != nullptr) context_->TryCancel();
    }
    thread_.join();
  }

 private:
  void Run() {
    absl::Duration backoff = absl::Milliseconds(50);
    while (true) {
      auto context = std::make_unique<grpc::ClientContext>();
      // Ends the stream when this member has no leader (partitioned).
      context->AddMetadata("hasleader", "true");
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        context_ = context.get();
      }
      auto stream = stub_->Watch(context.get());
      pb::WatchRequest request;
      pb::WatchCreateRequest& create = *request.mutable_create_request();
      create.set_key(prefix_);
      create.set_range_end(PrefixEnd(prefix_));
      create.set_start_revision(next_revision_);
      create.set_progress_notify(true);
      bool compacted = false;
      if (stream->Write(request)) {
        pb::WatchResponse response;
        while (stream->Read(&response)) {
          backoff = absl::Milliseconds(50);
          if (response.created() && on_health_) on_health_(absl::OkStatus());
          if (response.compact_revision() > 0) {
            on_batch_(WatchBatch{.revision = response.header().revision(),
                                 .compact_revision = response.compact_revision()});
            compacted = true;
            break;
          }
          if (response.canceled()) break;
          if (response.events_size() == 0 && !response.created()) {
            // A progress notification: nothing changed up to this revision.
            next_revision_ = std::max(next_revision_, response.header().revision() + 1);
            continue;
          }
          WatchBatch batch{.revision = response.header().revision()};
          for (const mvccpb::Event& event : response.events()) {
            batch.events.push_back(WatchEvent{.deleted = event.type() == mvccpb::Event::DELETE,
                                              .kv = FromProto(event.kv())});
            next_revision_ = std::max(next_revision_, event.kv().mod_revision() + 1);
          }
          if (!batch.events.empty()) on_batch_(batch);
        }
      }
      context->TryCancel();
      const grpc::Status ended = stream->Finish();
      {
        absl::MutexLock lock(&mu_);
        context_ = nullptr;
        if (stopping_ || compacted) return;
      }
      if (on_health_) {
        on_health_(absl::UnavailableError(absl::StrCat(
            "etcd watch broken: ", ended.ok() ? "stream ended" : ended.error_message())));
      }
      {
        absl::MutexLock lock(&mu_);
        // Reopen (on another member, if this one is gone) after a pause
        // that grows while it keeps failing.
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
        if (stopping_) return;
      }
      backoff = std::min(backoff * 2, absl::Seconds(2));
    }
  }

  pb::Watch::Stub* const stub_;
  const std::string prefix_;
  int64_t next_revision_;
  const std::function<void(const WatchBatch&)> on_batch_;
  const std::function<void(const absl::Status&)> on_health_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
};

}  // namespace

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  for (int i = static_cast<int>(end.size()) - 1; i >= 0; --i) {
    if (static_cast<unsigned char>(end[i]) < 0xff) {
      ++end[i];
      end.resize(static_cast<size_t>(i) + 1);
      return end;
    }
  }
  return std::string(1, '\0');  // every key
}

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Connect(Options options) {
  if (options.endpoints.empty()) return absl::InvalidArgumentError("etcd: no endpoints");
  // Literal addresses form one target that gRPC fails over across;
  // otherwise the first endpoint is used by name.
  const std::string target = GrpcTargetFor(absl::StrJoin(options.endpoints, ","));
  grpc::ChannelArguments args;
  args.SetLoadBalancingPolicyName("round_robin");
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  auto credentials = options.credentials != nullptr ? options.credentials
                                                    : grpc::InsecureChannelCredentials();
  auto channel = grpc::CreateCustomChannel(target, credentials, args);
  return std::unique_ptr<EtcdClient>(new EtcdClient(std::move(options), std::move(channel)));
}

EtcdClient::EtcdClient(Options options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      kv_(pb::KV::NewStub(channel_)),
      lease_(pb::Lease::NewStub(channel_)),
      watch_(pb::Watch::NewStub(channel_)) {}

grpc::Status EtcdClient::Retry(
    const std::function<grpc::Status(grpc::ClientContext&, bool retried)>& attempt) const {
  const absl::Time deadline = absl::Now() + options_.timeout;
  bool retried = false;
  while (true) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(std::min(deadline, absl::Now() + options_.attempt_timeout)));
    // A member that is starting, or a channel moving to another member, is
    // waited for within the attempt rather than failed at once.
    context.set_wait_for_ready(true);
    grpc::Status status = attempt(context, retried);
    const bool transient = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                           status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
    if (!transient || closed_.load() || absl::Now() + absl::Milliseconds(50) >= deadline) {
      return status;
    }
    absl::SleepFor(absl::Milliseconds(50));
    retried = true;
  }
}

absl::StatusOr<EtcdClient::Listing> EtcdClient::GetPrefix(absl::string_view prefix) {
  pb::RangeRequest request;
  request.set_key(std::string(prefix));
  request.set_range_end(PrefixEnd(prefix));
  pb::RangeResponse response;
  if (grpc::Status status = Retry([&](grpc::ClientContext& context, bool) {
        return kv_->Range(&context, request, &response);
      });
      !status.ok()) {
    return FromGrpc(status, "range");
  }
  Listing listing{.revision = response.header().revision()};
  for (const mvccpb::KeyValue& kv : response.kvs()) listing.kvs.push_back(FromProto(kv));
  return listing;
}

absl::StatusOr<std::optional<KeyValue>> EtcdClient::Get(absl::string_view key) {
  return GetAt(key, 0);
}

absl::StatusOr<std::optional<KeyValue>> EtcdClient::GetAt(absl::string_view key, int64_t revision) {
  pb::RangeRequest request;
  request.set_key(std::string(key));
  request.set_revision(revision);
  pb::RangeResponse response;
  if (grpc::Status status = Retry([&](grpc::ClientContext& context, bool) {
        return kv_->Range(&context, request, &response);
      });
      !status.ok()) {
    return FromGrpc(status, "get");
  }
  if (response.kvs_size() == 0) return std::nullopt;
  return FromProto(response.kvs(0));
}

namespace {

// Adds to `txn` the condition that `key` is at mod revision `revision`.
void RequireModRevision(pb::TxnRequest& txn, absl::string_view key, int64_t revision) {
  pb::Compare& compare = *txn.add_compare();
  compare.set_key(std::string(key));
  compare.set_target(pb::Compare::MOD);
  compare.set_result(pb::Compare::EQUAL);
  compare.set_mod_revision(revision);
}

// A transaction that does `op` if `key`'s mod revision is `expected`; on a
// failed compare it reads the key, for the error.
pb::TxnRequest GuardedTxn(absl::string_view key, int64_t expected, pb::RequestOp op) {
  pb::TxnRequest txn;
  RequireModRevision(txn, key, expected);
  *txn.add_success() = std::move(op);
  txn.add_failure()->mutable_request_range()->set_key(std::string(key));
  return txn;
}

// `retried`: an earlier attempt may have committed before its answer was
// lost; a put whose value is now in place (or a delete whose key is gone)
// counts as done.
absl::StatusOr<int64_t> TxnResult(const pb::TxnResponse& response, absl::string_view key,
                                  int64_t expected, bool retried,
                                  const std::optional<std::string>& put_value) {
  if (response.succeeded()) return response.header().revision();
  int64_t current = 0;
  if (response.responses_size() > 0 && response.responses(0).response_range().kvs_size() > 0) {
    const mvccpb::KeyValue& kv = response.responses(0).response_range().kvs(0);
    current = kv.mod_revision();
    if (retried && put_value.has_value() && kv.value() == *put_value && current > expected) {
      return current;
    }
  } else if (retried && !put_value.has_value()) {
    return response.header().revision();
  }
  return absl::AbortedError(absl::StrCat(
      "conflict on ", key, ": expected revision ", expected, ", it is at revision ", current,
      current == 0 ? " (deleted)" : " (changed by another writer)"));
}

}  // namespace

absl::Status EtcdClient::Txn(const pb::TxnRequest& txn, pb::TxnResponse& response,
                             bool& retried) const {
  grpc::Status status = Retry([&](grpc::ClientContext& context, bool is_retry) {
    retried = is_retry;
    return kv_->Txn(&context, txn, &response);
  });
  return status.ok() ? absl::OkStatus() : FromGrpc(status, "txn");
}

absl::StatusOr<int64_t> EtcdClient::CompareAndPut(absl::string_view key, absl::string_view value,
                                                  int64_t expected_mod_revision, int64_t lease) {
  pb::RequestOp op;
  pb::PutRequest& put = *op.mutable_request_put();
  put.set_key(std::string(key));
  put.set_value(std::string(value));
  put.set_lease(lease);
  const pb::TxnRequest txn = GuardedTxn(key, expected_mod_revision, std::move(op));
  pb::TxnResponse response;
  bool was_retried = false;
  if (absl::Status ran = Txn(txn, response, was_retried); !ran.ok()) return ran;
  return TxnResult(response, key, expected_mod_revision, was_retried, std::string(value));
}

absl::StatusOr<int64_t> EtcdClient::CompareAndPutAll(const std::vector<GuardedPut>& puts,
                                                     const std::vector<Guard>& guards) {
  if (puts.size() > 128) return absl::InvalidArgumentError("etcd: more than 128 writes in one transaction");
  pb::TxnRequest txn;
  for (const GuardedPut& put : puts) {
    RequireModRevision(txn, put.key, put.expected_mod_revision);
    pb::PutRequest& request = *txn.add_success()->mutable_request_put();
    request.set_key(put.key);
    request.set_value(put.value);
  }
  for (const Guard& guard : guards) RequireModRevision(txn, guard.key, guard.mod_revision);
  pb::TxnResponse response;
  bool was_retried = false;
  if (absl::Status ran = Txn(txn, response, was_retried); !ran.ok()) return ran;
  if (response.succeeded()) return response.header().revision();
  // A retried transaction that had committed: every value is in place.
  if (was_retried) {
    bool all_in_place = true;
    for (const GuardedPut& put : puts) {
      absl::StatusOr<std::optional<KeyValue>> current = Get(put.key);
      all_in_place &= current.ok() && current->has_value() && (*current)->value == put.value;
    }
    if (all_in_place) return response.header().revision();
  }
  return absl::AbortedError(absl::StrCat("conflict: one of ", puts.size(),
                                         " keys changed since it was read"));
}

absl::StatusOr<int64_t> EtcdClient::CompareAndDelete(absl::string_view key,
                                                     int64_t expected_mod_revision,
                                                     const std::vector<Guard>& guards) {
  pb::RequestOp op;
  op.mutable_request_delete_range()->set_key(std::string(key));
  pb::TxnRequest txn = GuardedTxn(key, expected_mod_revision, std::move(op));
  for (const Guard& guard : guards) RequireModRevision(txn, guard.key, guard.mod_revision);
  pb::TxnResponse response;
  bool was_retried = false;
  if (absl::Status ran = Txn(txn, response, was_retried); !ran.ok()) return ran;
  return TxnResult(response, key, expected_mod_revision, was_retried, std::nullopt);
}

absl::StatusOr<int64_t> EtcdClient::Put(absl::string_view key, absl::string_view value,
                                        int64_t lease) {
  pb::PutRequest request;
  request.set_key(std::string(key));
  request.set_value(std::string(value));
  request.set_lease(lease);
  pb::PutResponse response;
  if (grpc::Status status = Retry([&](grpc::ClientContext& context, bool) {
        return kv_->Put(&context, request, &response);
      });
      !status.ok()) {
    return FromGrpc(status, "put");
  }
  return response.header().revision();
}

absl::StatusOr<int64_t> EtcdClient::GrantLease(absl::Duration ttl) {
  pb::LeaseGrantRequest request;
  request.set_ttl(std::max<int64_t>(1, absl::ToInt64Seconds(ttl)));
  pb::LeaseGrantResponse response;
  if (grpc::Status status = Retry([&](grpc::ClientContext& context, bool) {
        return lease_->LeaseGrant(&context, request, &response);
      });
      !status.ok()) {
    return FromGrpc(status, "lease grant");
  }
  if (!response.error().empty()) return absl::UnavailableError("etcd lease grant: " + response.error());
  return response.id();
}

absl::Status EtcdClient::KeepAlive(int64_t lease) {
  pb::LeaseKeepAliveRequest request;
  request.set_id(lease);
  pb::LeaseKeepAliveResponse response;
  grpc::Status status = Retry([&](grpc::ClientContext& context, bool) {
    auto stream = lease_->LeaseKeepAlive(&context);
    if (stream->Write(request) && stream->Read(&response)) {
      context.TryCancel();
      stream->Finish();
      return grpc::Status::OK;
    }
    return stream->Finish();
  });
  if (!status.ok()) return FromGrpc(status, "lease keepalive");
  if (response.ttl() <= 0) return absl::NotFoundError(absl::StrCat("etcd lease ", lease, " expired"));
  return absl::OkStatus();
}

absl::Status EtcdClient::RevokeLease(int64_t lease) {
  pb::LeaseRevokeRequest request;
  request.set_id(lease);
  pb::LeaseRevokeResponse response;
  grpc::Status status = Retry([&](grpc::ClientContext& context, bool) {
    return lease_->LeaseRevoke(&context, request, &response);
  });
  return status.ok() ? absl::OkStatus() : FromGrpc(status, "lease revoke");
}

absl::Status EtcdClient::Compact(int64_t revision) {
  pb::CompactionRequest request;
  request.set_revision(revision);
  request.set_physical(true);
  pb::CompactionResponse response;
  grpc::Status status = Retry([&](grpc::ClientContext& context, bool) {
    return kv_->Compact(&context, request, &response);
  });
  return status.ok() ? absl::OkStatus() : FromGrpc(status, "compact");
}

std::unique_ptr<EtcdClient::Watch> EtcdClient::WatchPrefix(
    std::string prefix, int64_t start_revision, std::function<void(const WatchBatch&)> on_batch,
    std::function<void(const absl::Status&)> on_health) {
  return std::make_unique<PrefixWatch>(watch_.get(), std::move(prefix), start_revision,
                                       std::move(on_batch), std::move(on_health));
}

}  // namespace keel::etcd
