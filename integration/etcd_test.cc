// libs/etcd against a real 3-member etcd cluster: compare-and-swap writes,
// watches that survive a member's death, and compaction noticed.
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integration/harness/etcd_cluster.h"
#include "libs/etcd/client.h"

namespace keel::testing {
namespace {

using ::testing::HasSubstr;

class EtcdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EtcdCluster>> cluster = EtcdCluster::Start(3);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
    absl::StatusOr<std::unique_ptr<etcd::EtcdClient>> client =
        etcd::EtcdClient::Connect({.endpoints = cluster_->endpoints()});
    ASSERT_TRUE(client.ok());
    client_ = *std::move(client);
  }

  std::unique_ptr<EtcdCluster> cluster_;
  std::unique_ptr<etcd::EtcdClient> client_;
};

// Two writers racing on one key: one wins, the other is told the revision.
TEST_F(EtcdTest, CompareAndSwapLetsOneWriterWinAndNamesTheRevision) {
  absl::StatusOr<int64_t> created = client_->CompareAndPut("/keel/v1/a", "one", 0);
  ASSERT_TRUE(created.ok()) << created.status();
  absl::StatusOr<int64_t> again = client_->CompareAndPut("/keel/v1/a", "two", 0);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(again.status().message(),
              HasSubstr("conflict on /keel/v1/a: expected revision 0, it is at revision " +
                        std::to_string(*created)));
  absl::StatusOr<int64_t> updated = client_->CompareAndPut("/keel/v1/a", "two", *created);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(client_->CompareAndPut("/keel/v1/a", "three", *created).status().code(),
            absl::StatusCode::kAborted);
  absl::StatusOr<std::optional<etcd::KeyValue>> read = client_->Get("/keel/v1/a");
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->value, "two");
  EXPECT_EQ((*read)->mod_revision, *updated);
  ASSERT_TRUE(client_->CompareAndDelete("/keel/v1/a", *updated).ok());
  absl::StatusOr<etcd::EtcdClient::Listing> listing = client_->GetPrefix("/keel/v1/");
  ASSERT_TRUE(listing.ok());
  EXPECT_TRUE(listing->kvs.empty());
}

// A batch of guarded puts lands whole or not at all.
TEST_F(EtcdTest, ABatchOfGuardedPutsIsAllOrNothing) {
  absl::StatusOr<int64_t> existing = client_->Put("/keel/v1/b2", "old");
  ASSERT_TRUE(existing.ok());
  // b2 is not new: the batch expecting it absent writes nothing.
  absl::StatusOr<int64_t> refused = client_->CompareAndPutAll(
      {{.key = "/keel/v1/b1", .value = "1"}, {.key = "/keel/v1/b2", .value = "2"}});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAborted);
  absl::StatusOr<std::optional<etcd::KeyValue>> b1 = client_->Get("/keel/v1/b1");
  ASSERT_TRUE(b1.ok());
  EXPECT_FALSE(b1->has_value());
  absl::StatusOr<int64_t> written = client_->CompareAndPutAll(
      {{.key = "/keel/v1/b1", .value = "1"},
       {.key = "/keel/v1/b2", .value = "2", .expected_mod_revision = *existing}});
  ASSERT_TRUE(written.ok()) << written.status();
  absl::StatusOr<etcd::EtcdClient::Listing> listing = client_->GetPrefix("/keel/v1/b");
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing->kvs.size(), 2u);
  EXPECT_EQ(listing->kvs[1].value, "2");
  EXPECT_EQ(listing->kvs[0].mod_revision, *written);
}

// A prefix watch delivers every change in order, and keeps doing so when
// the member it was on (and the leader) is killed.
TEST_F(EtcdTest, WatchesSurviveAMembersDeath) {
  absl::StatusOr<etcd::EtcdClient::Listing> start = client_->GetPrefix("/keel/v1/");
  ASSERT_TRUE(start.ok());
  absl::Mutex mu;
  std::vector<std::string> seen;
  auto watch = client_->WatchPrefix("/keel/v1/", start->revision + 1, [&](const etcd::WatchBatch& b) {
    absl::MutexLock lock(&mu);
    for (const etcd::WatchEvent& e : b.events) seen.push_back((e.deleted ? "-" : "+") + e.kv.key);
  });
  auto wait_for = [&](size_t n) {
    absl::MutexLock lock(&mu);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return seen.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(20));
  };
  ASSERT_TRUE(client_->Put("/keel/v1/x", "1").ok());
  ASSERT_TRUE(client_->Put("/other/y", "1").ok());  // outside the prefix
  ASSERT_TRUE(wait_for(1));
  std::optional<int> leader = cluster_->Leader();
  ASSERT_TRUE(leader.has_value());
  cluster_->Kill(*leader);
  const absl::Time killed = absl::Now();
  // Writes resume once the other two elect a leader.
  absl::StatusOr<int64_t> after = client_->Put("/keel/v1/z", "2");
  ASSERT_TRUE(after.ok()) << after.status();
  std::printf("write after killing the leader went through in %.0f ms\n",
              absl::ToDoubleMilliseconds(absl::Now() - killed));
  ASSERT_TRUE(client_->CompareAndDelete("/keel/v1/x", 0).status().code() == absl::StatusCode::kAborted);
  ASSERT_TRUE(wait_for(2));
  absl::MutexLock lock(&mu);
  EXPECT_THAT(seen, ::testing::ElementsAre("+/keel/v1/x", "+/keel/v1/z"));
}

// A watch from a compacted revision is told so (the caller must re-list).
TEST_F(EtcdTest, CompactionEndsAWatchWithTheCompactedRevision) {
  absl::StatusOr<int64_t> first = client_->Put("/keel/v1/c", "1");
  ASSERT_TRUE(first.ok());
  absl::StatusOr<int64_t> second = client_->Put("/keel/v1/c", "2");
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(client_->Compact(*second).ok());
  absl::Mutex mu;
  int64_t compacted = 0;
  auto watch = client_->WatchPrefix("/keel/v1/", *first, [&](const etcd::WatchBatch& b) {
    absl::MutexLock lock(&mu);
    compacted = b.compact_revision;
  });
  absl::MutexLock lock(&mu);
  auto told = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return compacted != 0; };
  ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&told), absl::Seconds(20)));
  EXPECT_EQ(compacted, *second);
}

// A closed client stops retrying: a call waiting out a dead cluster returns
// after its current attempt instead of the client's whole timeout, so a
// replica shutting down is not held by an unreachable etcd.
TEST_F(EtcdTest, ACallRetryingADeadClusterReturnsOnceTheClientIsClosed) {
  absl::StatusOr<std::unique_ptr<etcd::EtcdClient>> client = etcd::EtcdClient::Connect(
      {.endpoints = cluster_->endpoints(),
       .timeout = absl::Minutes(10),
       .attempt_timeout = absl::Milliseconds(300)});
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Put("/keel/v1/d", "1").ok());
  for (int member = 0; member < 3; ++member) cluster_->Kill(member);
  absl::Notification returned;
  absl::Status status;
  std::thread caller([&] {
    status = (*client)->Get("/keel/v1/d").status();
    returned.Notify();
  });
  // Still retrying: a dead cluster alone does not end the call.
  EXPECT_FALSE(returned.WaitForNotificationWithTimeout(absl::Seconds(1)));
  (*client)->Close();
  EXPECT_TRUE(returned.WaitForNotificationWithTimeout(absl::Seconds(30)));
  caller.join();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("get"));
}

}  // namespace
}  // namespace keel::testing
