// Citadel's signing rate end to end, beside what OpenSSL itself can do.
//
//   bazel run -c opt //integration:citadel_bench [-- --seconds=5 --clients=2 --key=ECDSA-P256]
//
// The real citadel binary on loopback; clients send prepared CSRs over one
// TLS channel each (as agents renewing do) and receive chains. Printed:
//   - certificates per second, and per CPU-second of Citadel's process;
//   - `openssl speed` for the same key type, measured in the same run: one
//     certificate costs Citadel one signature check (the CSR) and one
//     signature, so the per-core bound is 1 / (1/sign + 1/verify);
//   - the ratio of the two.
#include <atomic>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grpcpp/grpcpp.h"
#include "integration/harness/mesh.h"
#include "integration/harness/process.h"
#include "libs/common/binary.h"
#include "libs/mtls/certificate.h"
#include "libs/mtls/credentials.h"
#include "libs/mtls/key.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "proto/istio/security/v1alpha1/ca.grpc.pb.h"

ABSL_FLAG(int, seconds, 5, "How long the clients ask.");
ABSL_FLAG(int, clients, 2, "Concurrent clients (each its own channel).");
ABSL_FLAG(std::string, key, "ECDSA-P256", "Workload key type: ECDSA-P256 or RSA-2048.");

namespace keel::testing {
namespace {

// OpensslRate runs `openssl speed` and returns (sign/s, verify/s) on one core.
std::pair<double, double> OpensslRate(const std::string& algorithm) {
  absl::StatusOr<CommandResult> speed =
      RunToCompletion("/usr/bin/openssl", {"speed", "-seconds", "3", algorithm}, absl::Minutes(2));
  if (!speed.ok()) return {0, 0};
  // The last line: "... <sign time> <verify time> <sign/s> <verify/s>".
  std::vector<std::string> lines = absl::StrSplit(speed->out, '\n', absl::SkipEmpty());
  if (lines.empty()) return {0, 0};
  std::vector<std::string> fields = absl::StrSplit(lines.back(), ' ', absl::SkipEmpty());
  double sign = 0, verify = 0;
  if (fields.size() < 2 || !absl::SimpleAtod(fields[fields.size() - 2], &sign) ||
      !absl::SimpleAtod(fields.back(), &verify)) {
    return {0, 0};
  }
  return {sign, verify};
}

int Run() {
  const int clients = absl::GetFlag(FLAGS_clients);
  absl::StatusOr<mtls::KeyType> key_type = mtls::ParseKeyType(absl::GetFlag(FLAGS_key));
  if (!key_type.ok()) {
    std::fprintf(stderr, "%s\n", std::string(key_type.status().message()).c_str());
    return 2;
  }
  // The CA's own key is ECDSA P-256 (it signs); the CSR's key is what the
  // workloads use (Citadel verifies the CSR with it).
  const std::string dir = TestTempDir("citadel-bench");
  Mesh mesh;
  absl::StatusOr<RunningService*> citadel = mesh.Start(
      "citadel", {"--ca_dir=" + dir + "/ca", "--serving_dir=" + dir + "/serving",
                  // One identity signs as fast as it can: the per-identity limit is off.
                  "--log_level=warn", "--certificates_per_second=0"});
  if (!citadel.ok() || !(*citadel)->WaitReady().ok()) {
    std::fprintf(stderr, "citadel did not start\n");
    return 1;
  }
  absl::StatusOr<CommandResult> token = RunToCompletion(
      KeelBinaryPath("citadel"), {"--ca_dir=" + dir + "/ca", "--token_ttl=1h", "issue-token",
                                  "bench", "client"});
  if (!token.ok() || token->exit.status != 0) return 1;
  const std::string bearer =
      absl::StrCat("Bearer ", absl::StripTrailingAsciiWhitespace(token->out));

  // Prepared CSRs: key generation is the agent's cost, not Citadel's.
  constexpr int kCsrs = 64;
  std::vector<std::string> csrs;
  for (int i = 0; i < kCsrs; ++i) {
    absl::StatusOr<mtls::PrivateKey> key = mtls::PrivateKey::Generate(*key_type);
    absl::StatusOr<mtls::CertificateRequest> csr = mtls::CertificateRequest::Build(
        *key, {.uri_sans = {"spiffe://cluster.local/ns/bench/sa/client"}});
    csrs.push_back(csr->ToPem());
  }
  const std::string port = (*citadel)->grpc_address().substr(10);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> issued{0}, failed{0};
  // Warm up each channel (TLS handshake) before counting.
  std::vector<std::unique_ptr<istio::v1::auth::IstioCertificateService::Stub>> stubs;
  for (int c = 0; c < clients; ++c) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per client
    stubs.push_back(istio::v1::auth::IstioCertificateService::NewStub(grpc::CreateCustomChannel(
        "localhost:" + port,
        mtls::ChannelCredentialsFromFiles({.roots = dir + "/serving/root-cert.pem"}), args)));
  }
  auto ask = [&](int c, int i) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", bearer);
    istio::v1::auth::IstioCertificateRequest request;
    request.set_csr(csrs[i % kCsrs]);
    istio::v1::auth::IstioCertificateResponse response;
    return stubs[c]->CreateCertificate(&context, request, &response).ok();
  };
  for (int c = 0; c < clients; ++c) {
    if (!ask(c, c)) {
      std::fprintf(stderr, "warm-up request failed\n");
      return 1;
    }
  }
  const pid_t pid = (*citadel)->process().pid();
  // Runs `call` from every client for --seconds; returns (calls, seconds,
  // Citadel's CPU seconds).
  struct Run {
    int64_t ok = 0, failed = 0;
    double seconds = 0, cpu = 0;
  };
  auto run = [&](const std::function<bool(int, int)>& call) {
    std::atomic<int64_t> ok{0}, bad{0};
    stop.store(false);
    const ProcessUsage before = ReadProcessUsage(pid);
    const absl::Time start = absl::Now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        for (int i = 0; !stop.load(); ++i) (call(c, i) ? ok : bad).fetch_add(1);
      });
    }
    absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_seconds)));
    stop.store(true);
    for (std::thread& thread : threads) thread.join();
    return Run{.ok = ok.load(),
               .failed = bad.load(),
               .seconds = absl::ToDoubleSeconds(absl::Now() - start),
               .cpu = ReadProcessUsage(pid).cpu_seconds - before.cpu_seconds};
  };
  const Run signing = run(ask);
  issued = signing.ok;
  failed = signing.failed;
  const double elapsed = signing.seconds;
  const double cpu = signing.cpu;
  // Beside it: the cheapest call Citadel serves on the same TLS channels (gRPC
  // health): the floor gRPC and TLS put under every certificate.
  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>> health;
  for (int c = 0; c < clients; ++c) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    health.push_back(grpc::health::v1::Health::NewStub(grpc::CreateCustomChannel(
        "localhost:" + port,
        mtls::ChannelCredentialsFromFiles({.roots = dir + "/serving/root-cert.pem"}), args)));
  }
  const Run empty = run([&](int c, int) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    return health[c]->Check(&context, request, &response).ok();
  });
  mesh.StopAll();

  const std::string csr_algorithm = *key_type == mtls::KeyType::kEcdsaP256 ? "ecdsap256" : "rsa2048";
  const auto [ca_sign, unused_verify] = OpensslRate("ecdsap256");  // the CA key signs
  const auto [unused_sign, csr_verify] = OpensslRate(csr_algorithm);  // the CSR is verified
  const double bound = 1.0 / (1.0 / ca_sign + 1.0 / csr_verify);
  const double per_core = issued.load() / cpu;
  std::printf("citadel_bench: %d clients, %s workload keys, %.1f s\n", clients,
              absl::GetFlag(FLAGS_key).c_str(), elapsed);
  std::printf("certificates issued: %lld (%lld failed): %.0f/s; Citadel used %.2f CPU-s: %.0f per "
              "CPU-second\n",
              static_cast<long long>(issued.load()), static_cast<long long>(failed.load()),
              issued.load() / elapsed, cpu, per_core);
  std::printf("openssl speed, one core: CA sign (ecdsap256) %.0f/s, CSR verify (%s) %.0f/s -> "
              "bound %.0f certificates/s per core\n",
              ca_sign, csr_algorithm.c_str(), csr_verify, bound);
  std::printf("ratio (Citadel per CPU-second / openssl bound per core): %.2f\n", per_core / bound);
  const double empty_us = empty.cpu / std::max<int64_t>(1, empty.ok) * 1e6;
  const double cert_us = cpu / std::max<int64_t>(1, issued.load()) * 1e6;
  std::printf("empty gRPC call (health Check, same TLS channels): %.0f/s, %.1f us of Citadel CPU "
              "each; a certificate: %.1f us, of which openssl's sign+verify is %.1f us\n",
              empty.ok / empty.seconds, empty_us, cert_us, 1e6 / bound);
  return failed.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace keel::testing

int main(int argc, char** argv) {
  keel::InitBinaryOrExit(argc, argv, "citadel_bench",
                         "Citadel's signing rate over gRPC, beside openssl speed.");
  return keel::testing::Run();
}
