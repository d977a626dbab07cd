#include "integration/harness/etcd_cluster.h"

#include <csignal>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpcpp/create_channel.h"
#include "integration/harness/mesh.h"
#include "libs/etcd/client.h"

namespace keel::testing {

absl::StatusOr<std::unique_ptr<EtcdCluster>> EtcdCluster::Start(int members) {
  auto cluster = std::unique_ptr<EtcdCluster>(new EtcdCluster());
  const std::string dir = TestTempDir("etcd");
  std::vector<std::string> peers;
  std::vector<uint16_t> client_ports;
  for (int i = 0; i < members; ++i) {
    const uint16_t client = PickFreePort(), peer = PickFreePort();
    client_ports.push_back(client);
    peers.push_back(absl::StrCat("m", i, "=http://127.0.0.1:", peer));
    cluster->endpoints_.push_back(absl::StrCat("127.0.0.1:", client));
  }
  for (int i = 0; i < members; ++i) {
    const std::string peer_url = peers[static_cast<size_t>(i)].substr(peers[static_cast<size_t>(i)].find('=') + 1);
    const std::string client_url = absl::StrCat("http://", cluster->endpoints_[static_cast<size_t>(i)]);
    cluster->args_.push_back(
        {absl::StrCat("--name=m", i), absl::StrCat("--data-dir=", dir, "/m", i),
         "--listen-client-urls=" + client_url, "--advertise-client-urls=" + client_url,
         "--listen-peer-urls=" + peer_url, "--initial-advertise-peer-urls=" + peer_url,
         "--initial-cluster=" + absl::StrJoin(peers, ","), "--initial-cluster-state=new",
         "--initial-cluster-token=keel-test-" + std::to_string(client_ports[0]),
         "--heartbeat-interval=50", "--election-timeout=500", "--log-level=warn"});
    cluster->logs_.push_back(absl::StrCat(dir, "/m", i, ".log"));
    absl::StatusOr<ChildProcess> member =
        ChildProcess::Start("/usr/bin/etcd", cluster->args_.back(), cluster->logs_.back());
    if (!member.ok()) return member.status();
    cluster->members_.push_back(*std::move(member));
  }
  // Ready when a write goes through (a leader is elected).
  absl::StatusOr<std::unique_ptr<etcd::EtcdClient>> client =
      etcd::EtcdClient::Connect({.endpoints = cluster->endpoints_, .timeout = absl::Seconds(20)});
  if (!client.ok()) return client.status();
  absl::StatusOr<int64_t> written = (*client)->Put("/keel-test/ready", "1");
  if (!written.ok()) {
    return absl::UnavailableError(absl::StrCat("etcd cluster did not start: ", written.status().message(),
                                               "\n", cluster->members_[0]->Log()));
  }
  return cluster;
}

std::string EtcdCluster::EndpointsFlag() const {
  return "--etcd_endpoints=" + absl::StrJoin(endpoints_, ",");
}

void EtcdCluster::Kill(int index) {
  std::optional<ChildProcess>& member = members_[static_cast<size_t>(index)];
  if (!member.has_value()) return;
  kill(member->pid(), SIGKILL);
  (void)member->Wait(absl::Seconds(10));
  member.reset();
}

absl::Status EtcdCluster::Restart(int index) {
  const size_t i = static_cast<size_t>(index);
  if (members_[i].has_value()) return absl::FailedPreconditionError("member is running");
  absl::StatusOr<ChildProcess> member = ChildProcess::Start("/usr/bin/etcd", args_[i], logs_[i]);
  if (!member.ok()) return member.status();
  members_[i] = *std::move(member);
  return absl::OkStatus();
}

std::optional<int> EtcdCluster::Leader() const {
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (!members_[i].has_value()) continue;
    auto channel = grpc::CreateChannel(endpoints_[i], grpc::InsecureChannelCredentials());
    auto maintenance = etcdserverpb::Maintenance::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    etcdserverpb::StatusResponse status;
    if (maintenance->Status(&context, etcdserverpb::StatusRequest(), &status).ok() &&
        status.leader() == status.header().member_id()) {
      return static_cast<int>(i);
    }
  }
  return std::nullopt;
}

}  // namespace keel::testing
