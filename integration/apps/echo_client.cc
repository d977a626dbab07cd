// echo_client: calls keel.testing.Echo through a target such as
// xds:///echo.default.svc.cluster.local:7070 and counts the answers by
// server version and by status.
//
// --count=N: N calls, then one summary line and exit.
// --duration=D: call until D has passed, printing a line every
//   --report_every (the demo's live traffic split).
// Lines look like: t=1200ms total=100 v1=80 v2=20 errors=0 UNAVAILABLE=0
#include <cstdio>
#include <map>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "integration/apps/mixer_setup.h"
#include "libs/common/binary.h"
#include "proto/keel/testing/echo.grpc.pb.h"

ABSL_FLAG(bool, plaintext, false, "Ignore xDS security config: always send plaintext.");
ABSL_FLAG(std::string, target, "xds:///echo.default.svc.cluster.local:7070",
          "gRPC target to call.");
ABSL_FLAG(int, count, 0, "Calls to make, then exit (0: use --duration).");
ABSL_FLAG(absl::Duration, duration, absl::ZeroDuration(), "How long to keep calling.");
ABSL_FLAG(absl::Duration, report_every, absl::Seconds(1), "Report interval with --duration.");
ABSL_FLAG(absl::Duration, rpc_timeout, absl::Seconds(5), "Deadline of each call.");
ABSL_FLAG(absl::Duration, wait_ready, absl::Seconds(20), "How long to wait for the channel first.");
ABSL_FLAG(std::vector<std::string>, metadata, {}, "key=value pairs sent with every call.");
ABSL_FLAG(std::string, method, "Echo", "Echo or Admin.");

namespace {

struct Counts {
  int total = 0;
  std::map<std::string, int> by_version;
  std::map<std::string, int> by_error;
  absl::Duration slowest;

  std::string Line(absl::Duration since_start) const {
    std::vector<std::string> parts = {
        absl::StrCat("t=", absl::ToInt64Milliseconds(since_start), "ms"),
        absl::StrCat("total=", total)};
    int errors = 0;
    for (const auto& [version, n] : by_version) parts.push_back(absl::StrCat(version, "=", n));
    for (const auto& [code, n] : by_error) {
      parts.push_back(absl::StrCat(code, "=", n));
      errors += n;
    }
    parts.push_back(absl::StrCat("errors=", errors));
    parts.push_back(absl::StrCat("slowest_ms=", absl::ToInt64Milliseconds(slowest)));
    return absl::StrJoin(parts, " ");
  }
};

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    default:
      return "OTHER";
  }
}

}  // namespace

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;  // SIGTERM/SIGINT end the run with a summary
  keel::InitBinaryOrExit(argc, argv, "echo_client",
                         "Calls the echo service and counts answers by version.");
  // xDS credentials: TLS when the cluster's xDS config says so (mTLS with
  // keel-agent's certificates), plaintext otherwise; --plaintext always
  // sends plaintext, whatever xDS says.
  auto credentials = absl::GetFlag(FLAGS_plaintext)
                         ? grpc::InsecureChannelCredentials()
                         : grpc::XdsCredentials(grpc::InsecureChannelCredentials());
  // With --mixer_address every call is reported to Mixer (as the source).
  absl::StatusOr<std::shared_ptr<keel::mixerclient::MixerClient>> mixer =
      keel::testing::MixerClientFromFlags();
  if (!mixer.ok()) {
    std::fprintf(stderr, "echo_client: %s\n", std::string(mixer.status().message()).c_str());
    return 2;
  }
  std::shared_ptr<grpc::Channel> channel;
  if (*mixer != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> factories;
    const keel::mixerclient::WorkloadInfo self = keel::testing::WorkloadFromFlags();
    factories.push_back(
        keel::mixerclient::NewClientInterceptorFactory(*mixer, self, self.service_host));
    channel = grpc::experimental::CreateCustomChannelWithInterceptors(
        absl::GetFlag(FLAGS_target), credentials, grpc::ChannelArguments(), std::move(factories));
  } else {
    channel = grpc::CreateChannel(absl::GetFlag(FLAGS_target), credentials);
  }
  if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                 absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_wait_ready)))) {
    std::fprintf(stderr, "echo_client: %s did not become ready\n",
                 absl::GetFlag(FLAGS_target).c_str());
  }
  auto stub = keel::testing::Echo::NewStub(channel);
  std::vector<std::pair<std::string, std::string>> metadata;
  for (const std::string& pair : absl::GetFlag(FLAGS_metadata)) {
    std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    metadata.push_back(kv);
  }
  const int count = absl::GetFlag(FLAGS_count);
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::GetFlag(FLAGS_duration);
  absl::Time next_report = start + absl::GetFlag(FLAGS_report_every);
  Counts counts, interval;
  while (!shutdown.triggered() && (count > 0 ? counts.total < count : absl::Now() < end)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_rpc_timeout)));
    for (const auto& [k, v] : metadata) context.AddMetadata(k, v);
    keel::testing::EchoRequest request;
    request.set_message("hello");
    keel::testing::EchoResponse response;
    const absl::Time call_start = absl::Now();
    grpc::Status status = absl::GetFlag(FLAGS_method) == "Admin"
                              ? stub->Admin(&context, request, &response)
                              : stub->Echo(&context, request, &response);
    const absl::Duration took = absl::Now() - call_start;
    for (Counts* c : {&counts, &interval}) {
      ++c->total;
      c->slowest = std::max(c->slowest, took);
      if (status.ok()) {
        ++c->by_version[response.version()];
      } else {
        ++c->by_error[CodeName(status.error_code())];
      }
    }
    if (count == 0 && absl::Now() >= next_report) {
      std::printf("%s\n", interval.Line(absl::Now() - start).c_str());
      std::fflush(stdout);
      interval = Counts{};
      next_report += absl::GetFlag(FLAGS_report_every);
    }
  }
  std::printf("summary %s\n", counts.Line(absl::Now() - start).c_str());
  if (*mixer != nullptr) (*mixer)->Flush();
  return 0;
}
