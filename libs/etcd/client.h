// EtcdClient: the parts of etcd v3's gRPC API Keel stands on — reads,
// writes guarded by a key's revision (compare-and-swap transactions),
// leases, and prefix watches that resume where they left off.
//
//   auto etcd = EtcdClient::Connect({.endpoints = {"127.0.0.1:2379", "127.0.0.1:22379"}});
//   absl::StatusOr<int64_t> rev = (*etcd)->CompareAndPut("/keel/v1/x", "v", /*expected=*/0);
//   auto watch = (*etcd)->WatchPrefix("/keel/v1/", rev + 1, [](const WatchBatch& batch) {...});
#ifndef KEEL_LIBS_ETCD_CLIENT_H_
#define KEEL_LIBS_ETCD_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"

namespace keel::etcd {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;  // the key's version, for compare-and-swap
  int64_t lease = 0;
};

struct WatchEvent {
  bool deleted = false;
  KeyValue kv;  // for a delete: the key and the revision of the delete
};

// What a watch delivers: events in revision order, or the news that the
// revision it wanted is compacted (then the caller must list again).
struct WatchBatch {
  std::vector<WatchEvent> events;
  int64_t revision = 0;           // the store's revision as of this batch
  int64_t compact_revision = 0;   // set: history up to here is gone; re-list
};

class EtcdClient {
 public:
  struct Options {
    // host:port of each member; the client uses one and moves to another
    // when it fails.
    std::vector<std::string> endpoints;
    std::shared_ptr<grpc::ChannelCredentials> credentials;  // plaintext when null
    // Each request is tried until this much time has passed: a member's
    // death or a leader election is waited out (about 1.5 s on loopback).
    absl::Duration timeout = absl::Seconds(10);
    absl::Duration attempt_timeout = absl::Milliseconds(1500);
  };
  static absl::StatusOr<std::unique_ptr<EtcdClient>> Connect(Options options);

  // Close is for shutdown: from now on a request makes one attempt (at most
  // attempt_timeout) and is not retried, so a caller stopping while etcd is
  // unreachable is held for seconds rather than the whole timeout. A call
  // in its retry loop returns after its current attempt.
  void Close() { closed_.store(true); }

  // Every key with `prefix`, and the store's revision at that read.
  struct Listing {
    std::vector<KeyValue> kvs;
    int64_t revision = 0;
  };
  absl::StatusOr<Listing> GetPrefix(absl::string_view prefix);
  absl::StatusOr<std::optional<KeyValue>> Get(absl::string_view key);
  // GetAt reads the key as it was at store revision `revision` (history
  // back to the last compaction; OUT_OF_RANGE before it).
  absl::StatusOr<std::optional<KeyValue>> GetAt(absl::string_view key, int64_t revision);

  // CompareAndPut writes `value` if the key's mod revision is
  // `expected_mod_revision` (0: the key must not exist); returns the new
  // revision. ABORTED names the key's current revision when another writer
  // got there first.
  absl::StatusOr<int64_t> CompareAndPut(absl::string_view key, absl::string_view value,
                                        int64_t expected_mod_revision, int64_t lease = 0);
  // CompareAndPutAll writes every entry in one transaction if each key is
  // at its expected revision, and each of `guards` too (keys only compared,
  // such as a leader's key: a fence), else none (ABORTED). At most 128
  // entries (etcd's default limit of operations per transaction).
  struct GuardedPut {
    std::string key;
    std::string value;
    int64_t expected_mod_revision = 0;
  };
  struct Guard {
    std::string key;
    int64_t mod_revision = 0;
  };
  absl::StatusOr<int64_t> CompareAndPutAll(const std::vector<GuardedPut>& puts,
                                           const std::vector<Guard>& guards = {});
  // CompareAndDelete deletes the key if its mod revision is as expected
  // (and each guard's key is at its revision).
  absl::StatusOr<int64_t> CompareAndDelete(absl::string_view key, int64_t expected_mod_revision,
                                           const std::vector<Guard>& guards = {});
  absl::StatusOr<int64_t> Put(absl::string_view key, absl::string_view value, int64_t lease = 0);

  // Leases: granted for `ttl`, kept alive by KeepAlive (once per call).
  absl::StatusOr<int64_t> GrantLease(absl::Duration ttl);
  absl::Status KeepAlive(int64_t lease);
  absl::Status RevokeLease(int64_t lease);

  // Compact drops history before `revision` (tests: a watch then learns it
  // must re-list).
  absl::Status Compact(int64_t revision);

  class Watch {
   public:
    virtual ~Watch() = default;  // stops the watch
  };
  // WatchPrefix calls `on_batch` (from its own thread) with every change
  // under `prefix` from `start_revision` on. A broken stream is reopened
  // from the last revision delivered. After a compacted batch it stops.
  // The watch asks etcd to end it when its member loses the cluster's
  // leader ("hasleader"), so it never sits silently on a partitioned member.
  // `on_health` (optional) hears OK each time the watch is established and
  // the reason each time it breaks.
  std::unique_ptr<Watch> WatchPrefix(std::string prefix, int64_t start_revision,
                                     std::function<void(const WatchBatch&)> on_batch,
                                     std::function<void(const absl::Status&)> on_health = nullptr);

 private:
  explicit EtcdClient(Options options, std::shared_ptr<grpc::Channel> channel);
  // Retry calls `attempt` with a fresh context until it succeeds, fails
  // for a reason other than an unreachable member or leader, or the
  // request's time is up. `retried` tells the attempt it is not the first.
  grpc::Status Retry(const std::function<grpc::Status(grpc::ClientContext&, bool retried)>& attempt) const;
  // Txn runs `txn` (retried as above); `retried` says whether an attempt
  // before the answered one may have committed.
  absl::Status Txn(const etcdserverpb::TxnRequest& txn, etcdserverpb::TxnResponse& response,
                   bool& retried) const;

  const Options options_;
  std::atomic<bool> closed_{false};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<etcdserverpb::KV::Stub> kv_;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease_;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch_;
};

// The end of the range of keys starting with `prefix` (etcd's range_end).
std::string PrefixEnd(absl::string_view prefix);

}  // namespace keel::etcd

#endif  // KEEL_LIBS_ETCD_CLIENT_H_
