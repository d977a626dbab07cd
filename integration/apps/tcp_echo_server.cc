// tcp_echo_server: a plain TCP echo server, for tests of Mixer's checks on
// TCP services. With --mixer_address each accepted connection is checked
// first (a refused one is closed at once, nothing echoed) and reported when
// it closes, with Istio's TCP attributes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "integration/apps/mixer_setup.h"
#include "libs/common/binary.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, address, "127.0.0.1:0", "IPv4 host:port to serve on (port 0: any).");

namespace {

// Serves one connection: Mixer's check, then echo until the peer closes.
void Serve(int fd, const std::string& peer_ip, int port,
           const std::shared_ptr<keel::mixerclient::MixerClient>& mixer,
           const keel::mixerclient::WorkloadInfo& self) {
  const absl::Time start = absl::Now();
  keel::mixer::AttributeBag bag;
  if (mixer != nullptr) {
    bag = keel::mixerclient::TcpConnectionAttributes(self, peer_ip, port, "");
    if (absl::Status allowed = mixer->Check(bag); !allowed.ok()) {
      spdlog::info("refused a connection from {}: {}", peer_ip, std::string(allowed.message()));
      close(fd);
      keel::mixerclient::AddTcpCloseAttributes(0, 0, absl::Now() - start, bag);
      mixer->Report(std::move(bag));
      return;
    }
  }
  int64_t received = 0, sent = 0;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    received += n;
    ssize_t off = 0;
    while (off < n) {
      const ssize_t w = write(fd, buffer + off, static_cast<size_t>(n - off));
      if (w <= 0) break;
      off += w;
    }
    sent += off;
    if (off < n) break;
  }
  close(fd);
  if (mixer != nullptr) {
    keel::mixerclient::AddTcpCloseAttributes(received, sent, absl::Now() - start, bag);
    mixer->Report(std::move(bag));
  }
}

}  // namespace

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  keel::InitBinaryOrExit(argc, argv, "tcp_echo_server", "A TCP echo server, Mixer-checked.");
  absl::StatusOr<std::shared_ptr<keel::mixerclient::MixerClient>> mixer =
      keel::testing::MixerClientFromFlags();
  if (!mixer.ok()) {
    spdlog::error("{}", std::string(mixer.status().message()));
    return 2;
  }
  const keel::mixerclient::WorkloadInfo self = keel::testing::WorkloadFromFlags();
  const std::string address = absl::GetFlag(FLAGS_address);
  const size_t colon = address.rfind(':');
  uint32_t port = 0;
  sockaddr_in bind_address{};
  bind_address.sin_family = AF_INET;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port > 65535 ||
      inet_pton(AF_INET, address.substr(0, colon).c_str(), &bind_address.sin_addr) != 1) {
    spdlog::error("--address: \"{}\" is not IPv4 host:port", address);
    return 2;
  }
  bind_address.sin_port = htons(static_cast<uint16_t>(port));
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0 ||
      bind(listener, reinterpret_cast<sockaddr*>(&bind_address), sizeof(bind_address)) != 0 ||
      listen(listener, 64) != 0) {
    spdlog::error("cannot serve on {}", address);
    return 1;
  }
  socklen_t length = sizeof(bind_address);
  getsockname(listener, reinterpret_cast<sockaddr*>(&bind_address), &length);
  const int serving_port = ntohs(bind_address.sin_port);
  if (absl::Status written = keel::WritePortsFileFromFlags(static_cast<uint16_t>(serving_port));
      !written.ok()) {
    spdlog::error("{}", std::string(written.message()));
    return 1;
  }
  spdlog::info("tcp echo serving on {}:{}", address.substr(0, colon), serving_port);
  std::atomic<int> open_connections{0};
  std::thread acceptor([&] {
    while (true) {
      sockaddr_in peer{};
      socklen_t peer_length = sizeof(peer);
      const int fd = accept4(listener, reinterpret_cast<sockaddr*>(&peer), &peer_length, SOCK_CLOEXEC);
      if (fd < 0) {
        if (shutdown.triggered()) return;
        continue;
      }
      char ip[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
      ++open_connections;
      std::thread([&, fd, peer_ip = std::string(ip)] {
        Serve(fd, peer_ip, serving_port, *mixer, self);
        --open_connections;
      }).detach();
    }
  });
  shutdown.Wait();
  ::shutdown(listener, SHUT_RDWR);  // ends accept()
  acceptor.join();
  close(listener);
  // Connections still open get a moment to finish (they use what main owns).
  for (int i = 0; i < 200 && open_connections.load() > 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  if (*mixer != nullptr) (*mixer)->Flush();
  return 0;
}
