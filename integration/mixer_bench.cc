// Mixer's Check and Report, beside the cheapest call Mixer serves.
//
//   bazel run -c opt //integration:mixer_bench [-- --seconds=3 --clients=4]
//
// The real galley and mixer binaries on loopback, loaded with Istio 1.4's
// attribute manifest, its deny-by-label sample and Keel's standard-metrics
// sample. Printed:
//   - closed-loop throughput of Check (an inbound request's ~20 attributes,
//     no client cache) and of gRPC health Check on the same channels, and
//     their ratio;
//   - p50/p99 latency of each at fixed rates (latency from each call's
//     scheduled start, so a stall is not hidden), and the p99 Check adds;
//   - Report throughput in attribute sets per second (batches of 100,
//     each set turned into the four standard metrics).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpcpp/grpcpp.h"
#include "integration/harness/mesh.h"
#include "integration/harness/process.h"
#include "libs/common/binary.h"
#include "libs/mesh/testing/shared_testdata.h"
#include "libs/mixer/attributes.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "proto/istio/mixer/v1/mixer.grpc.pb.h"

ABSL_FLAG(int, seconds, 3, "How long each measurement runs.");
ABSL_FLAG(int, clients, 4, "Concurrent clients (each its own channel).");
ABSL_FLAG(std::vector<std::string>, rates, std::vector<std::string>({"500", "2000", "5000"}),
          "Fixed request rates (per second, all clients together) for the latency runs.");

namespace keel::testing {
namespace {

using Call = std::function<bool(int client)>;

struct Throughput {
  int64_t ok = 0, failed = 0;
  double per_second = 0, cpu = 0;
};

Throughput ClosedLoop(int clients, pid_t pid, const Call& call) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> ok{0}, bad{0};
  const ProcessUsage before = ReadProcessUsage(pid);
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      while (!stop.load()) (call(c) ? ok : bad).fetch_add(1);
    });
  }
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_seconds)));
  stop.store(true);
  for (std::thread& thread : threads) thread.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return Throughput{.ok = ok.load(),
                    .failed = bad.load(),
                    .per_second = ok.load() / seconds,
                    .cpu = ReadProcessUsage(pid).cpu_seconds - before.cpu_seconds};
}

struct Latency {
  double p50_us = 0, p99_us = 0;
  int64_t failed = 0;
};

// Calls at `rate` per second in total, each client on its own schedule;
// latency counts from the scheduled start.
Latency FixedRate(int clients, double rate, const Call& call) {
  const absl::Duration interval = absl::Seconds(clients / rate);
  const absl::Time start = absl::Now() + absl::Milliseconds(50);
  const absl::Time end = start + absl::Seconds(absl::GetFlag(FLAGS_seconds));
  std::vector<std::vector<double>> samples(static_cast<size_t>(clients));
  std::atomic<int64_t> failed{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (absl::Time next = start + interval * c / clients; next < end; next += interval) {
        absl::SleepFor(next - absl::Now());
        if (!call(c)) failed.fetch_add(1);
        samples[static_cast<size_t>(c)].push_back(absl::ToDoubleMicroseconds(absl::Now() - next));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<double> all;
  for (const auto& s : samples) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  if (all.empty()) return {};
  return Latency{.p50_us = all[all.size() / 2],
                 .p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)],
                 .failed = failed.load()};
}

int Run() {
  const int clients = absl::GetFlag(FLAGS_clients);
  const std::string shared = mesh::testing::IstioTestdataDir();
  const std::string config = TestTempDir("mixer-bench-config");
  std::filesystem::copy_file(shared + "/mixer-api-1.4/attributes.yaml", config + "/attributes.yaml");
  std::filesystem::copy_file(shared + "/mixer-policy-1.4/mixer-rule-deny-label.yaml",
                             config + "/deny-label.yaml");
  std::filesystem::copy_file(RunfilePath("samples/mixer/telemetry.yaml"), config + "/telemetry.yaml");
  const std::string dictionary_path = shared + "/mixer-api-1.4/global_dictionary.yaml";
  absl::StatusOr<mixer::GlobalDictionary> dictionary = mixer::GlobalDictionary::FromFile(dictionary_path);
  if (!dictionary.ok()) {
    std::fprintf(stderr, "%s\n", std::string(dictionary.status().message()).c_str());
    return 1;
  }

  Mesh mesh;
  absl::StatusOr<RunningService*> galley = mesh.Start("galley", {"--config_dir=" + config});
  if (!galley.ok() || !(*galley)->WaitReady().ok()) return 1;
  absl::StatusOr<RunningService*> mixer =
      mesh.Start("mixer", {"--galley_address=" + (*galley)->grpc_address(),
                           "--global_dictionary=" + dictionary_path});
  if (!mixer.ok() || !(*mixer)->WaitReady().ok() ||
      !WaitForLog((*mixer)->process(), "Mixer config: 2 rules", absl::Seconds(20))) {
    std::fprintf(stderr, "mixer did not start with its config\n");
    return 1;
  }
  const pid_t pid = (*mixer)->process().pid();

  std::vector<std::unique_ptr<istio::mixer::v1::Mixer::Stub>> stubs;
  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>> health;
  for (int c = 0; c < clients; ++c) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel = grpc::CreateCustomChannel((*mixer)->grpc_address(),
                                             grpc::InsecureChannelCredentials(), args);
    stubs.push_back(istio::mixer::v1::Mixer::NewStub(channel));
    health.push_back(grpc::health::v1::Health::NewStub(channel));
  }

  // An inbound request as a server's interceptor describes it.
  const mixer::AttributeBag request_bag = {
      {"context.reporter.kind", std::string("inbound")},
      {"context.protocol", std::string("grpc")},
      {"api.protocol", std::string("grpc")},
      {"request.method", std::string("POST")},
      {"request.path", std::string("/keel.testing.Echo/Echo")},
      {"request.host", std::string("echo.default.svc.cluster.local:7070")},
      {"request.useragent", std::string("grpc-c++/1.51.1")},
      {"request.headers", mixer::StringMap{{"user-agent", "grpc-c++/1.51.1"},
                                           {"te", "trailers"},
                                           {"x-request-id", "0f9c2f2e-8f6b"}}},
      {"request.time", absl::Now()},
      {"destination.namespace", std::string("default")},
      {"destination.workload.name", std::string("echo-v1")},
      {"destination.labels", mixer::StringMap{{"app", "echo"}, {"version", "v1"}}},
      {"destination.service.host", std::string("echo.default.svc.cluster.local")},
      {"source.principal", std::string("cluster.local/ns/default/sa/client")},
      {"source.namespace", std::string("default")},
      {"source.ip", mixer::Bytes{std::string("\x7f\x00\x00\x01", 4)}},
      {"connection.mtls", true},
  };
  istio::mixer::v1::CheckRequest check;
  *check.mutable_attributes() = mixer::Encode(request_bag, *dictionary);
  check.set_global_word_count(static_cast<uint32_t>(dictionary->size()));
  const Call mixer_check = [&](int c) {
    grpc::ClientContext context;
    istio::mixer::v1::CheckResponse response;
    return stubs[static_cast<size_t>(c)]->Check(&context, check, &response).ok() &&
           response.precondition().status().code() == 0;
  };
  const Call empty = [&](int c) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    return health[static_cast<size_t>(c)]->Check(&context, request, &response).ok();
  };
  mixer::AttributeBag finished = request_bag;
  finished["response.code"] = int64_t{200};
  finished["response.duration"] = absl::Microseconds(850);
  finished["request.size"] = int64_t{12};
  finished["response.size"] = int64_t{40};
  constexpr int kBatch = 100;
  istio::mixer::v1::ReportRequest report;
  report.set_global_word_count(static_cast<uint32_t>(dictionary->size()));
  report.set_repeated_attributes_semantics(istio::mixer::v1::ReportRequest::INDEPENDENT_ENCODING);
  for (int i = 0; i < kBatch; ++i) *report.add_attributes() = mixer::Encode(finished, *dictionary);
  const Call mixer_report = [&](int c) {
    grpc::ClientContext context;
    istio::mixer::v1::ReportResponse response;
    return stubs[static_cast<size_t>(c)]->Report(&context, report, &response).ok();
  };

  // Warm up both paths, then measure.
  ClosedLoop(clients, pid, mixer_check);
  const Throughput checks = ClosedLoop(clients, pid, mixer_check);
  const Throughput empties = ClosedLoop(clients, pid, empty);
  const Throughput reports = ClosedLoop(clients, pid, mixer_report);
  std::printf("clients: %d, %d s per run, 2 cores shared by clients and Mixer\n", clients,
              absl::GetFlag(FLAGS_seconds));
  std::printf("empty call (gRPC health Check): %.0f/s (%.1f us Mixer CPU each)\n",
              empties.per_second, empties.cpu / std::max<int64_t>(1, empties.ok) * 1e6);
  std::printf("Mixer Check:                    %.0f/s (%.1f us Mixer CPU each), %lld failed\n",
              checks.per_second, checks.cpu / std::max<int64_t>(1, checks.ok) * 1e6,
              static_cast<long long>(checks.failed));
  std::printf("Check / empty throughput: %.2f (target >= 0.7)\n",
              checks.per_second / std::max(1.0, empties.per_second));
  std::printf("Mixer Report: %.0f attribute sets/s (batches of %d; %.1f us Mixer CPU per set)\n",
              reports.per_second * kBatch, kBatch,
              reports.cpu / std::max<int64_t>(1, reports.ok * kBatch) * 1e6);
  for (const std::string& text : absl::GetFlag(FLAGS_rates)) {
    double rate = 0;
    if (!absl::SimpleAtod(text, &rate) || rate <= 0) continue;
    const Latency e = FixedRate(clients, rate, empty);
    const Latency m = FixedRate(clients, rate, mixer_check);
    std::printf("at %6.0f/s: empty p50 %6.0f us p99 %6.0f us | Check p50 %6.0f us p99 %6.0f us"
                " | added p99 %5.0f us (target < 500)%s\n",
                rate, e.p50_us, e.p99_us, m.p50_us, m.p99_us, m.p99_us - e.p99_us,
                m.failed + e.failed > 0 ? " (some calls failed)" : "");
  }
  stubs.clear();
  health.clear();
  mesh.StopAll();
  return 0;
}

}  // namespace
}  // namespace keel::testing

int main(int argc, char** argv) {
  keel::InitBinaryOrExit(argc, argv, "mixer_bench", "Mixer Check/Report throughput and latency.");
  return keel::testing::Run();
}
