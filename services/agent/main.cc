// keel-agent: the per-workload helper. It keeps the workload's certificate
// current, writes its xDS bootstrap and serves SDS; it has no gRPC server
// of its own, and its monitoring server listens on Istio's agent status
// port (15020) by default.
#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/http_client.h"
#include "libs/common/binary.h"
#include "libs/common/flags.h"
#include "services/agent/agent_service.h"

ABSL_DECLARE_FLAG(keel::ListenAddress, monitoring_address);

ABSL_FLAG(std::string, citadel_address, "localhost:8060", "Citadel's CA address (TLS).");
ABSL_FLAG(std::string, citadel_root_file, "",
          "PEM roots that verify Citadel before the first certificate (its root-cert.pem).");
ABSL_FLAG(std::string, token_file, "",
          "File holding the bootstrap token (citadel issue-token), read at each use.");
ABSL_FLAG(std::string, cert_dir, "/var/run/keel/certs",
          "Where key.pem, cert-chain.pem and root-cert.pem are written.");
ABSL_FLAG(std::string, identity, "",
          "SPIFFE id to ask for (spiffe://TD/ns/NS/sa/SA); Citadel issues the caller's own.");
ABSL_FLAG(std::string, key_type, "ECDSA-P256", "ECDSA-P256, RSA-2048, RSA-3072 or RSA-4096.");
ABSL_FLAG(absl::Duration, cert_ttl, absl::ZeroDuration(),
          "Certificate lifetime to ask for (0: Citadel's default, 24h).");
ABSL_FLAG(double, renew_fraction, 0.5, "Renew after this fraction of the lifetime.");
ABSL_FLAG(std::string, pilot_address, "localhost:15010", "Pilot's xDS address (for the bootstrap).");
ABSL_FLAG(std::string, bootstrap_file, "", "Write the gRPC xDS bootstrap JSON here.");
ABSL_FLAG(std::string, node_id, "", "The bootstrap's node id.");
ABSL_FLAG(std::string, locality, "", "The bootstrap's locality: REGION/ZONE/SUBZONE.");
ABSL_FLAG(std::string, labels, "", "The workload's labels for the bootstrap: K=V,...");
ABSL_FLAG(std::string, sds_socket, "", "Serve SDS for an Envoy sidecar on this unix socket.");
ABSL_FLAG(absl::Duration, wait_timeout, absl::Minutes(2), "keel-agent wait: give up after this long.");

namespace {

// Wait is `keel-agent wait`, the command of keel-agent's postStart hook in
// an injected pod (Istio's holdApplicationUntilProxyStarts): the kubelet
// starts the next container, the application, only once the hook has
// returned, so the application's first xDS and mTLS calls find the
// bootstrap and a certificate. It polls the agent's /readyz on
// --monitoring_address; exit 0 once ready, 1 after --wait_timeout.
int Wait() {
  std::string address = absl::GetFlag(FLAGS_monitoring_address).value;
  if (absl::StartsWith(address, ":")) address = "127.0.0.1" + address;
  const absl::Time deadline = absl::Now() + absl::GetFlag(FLAGS_wait_timeout);
  std::string last = "no answer";
  while (absl::Now() < deadline) {
    absl::StatusOr<keel::HttpResponse> ready = keel::HttpGet(address, "/readyz", absl::Seconds(2));
    if (ready.ok() && ready->status == 200) return 0;
    last = ready.ok() ? absl::StrCat(ready->status, " ", ready->body) : std::string(ready.status().message());
    absl::SleepFor(absl::Milliseconds(100));
  }
  std::fprintf(stderr, "keel-agent wait: %s/readyz not ready after %s: %s\n", address.c_str(),
               absl::FormatDuration(absl::GetFlag(FLAGS_wait_timeout)).c_str(), last.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  // Istio's agent status port, unless --monitoring_address says otherwise.
  absl::SetFlag(&FLAGS_monitoring_address, keel::ListenAddress{"127.0.0.1:15020"});
  const std::vector<std::string> args = keel::InitBinaryOrExit(
      argc, argv, "keel-agent",
      "keel-agent keeps a workload's certificate current, writes its xDS bootstrap and serves "
      "SDS. `keel-agent wait` returns once the agent on --monitoring_address is ready.");
  if (args.size() == 1 && args[0] == "wait") return Wait();
  if (!args.empty()) {
    std::fprintf(stderr, "keel-agent: unknown command \"%s\" (wait)\n", args[0].c_str());
    return 2;
  }
  absl::StatusOr<keel::mtls::KeyType> key_type =
      keel::mtls::ParseKeyType(absl::GetFlag(FLAGS_key_type));
  if (!key_type.ok()) {
    std::fprintf(stderr, "keel-agent: --key_type: %s\n",
                 std::string(key_type.status().message()).c_str());
    return 2;
  }
  keel::agent::AgentOptions options{
      .certificates = {.citadel_address = absl::GetFlag(FLAGS_citadel_address),
                       .citadel_root_file = absl::GetFlag(FLAGS_citadel_root_file),
                       .token_file = absl::GetFlag(FLAGS_token_file),
                       .cert_dir = absl::GetFlag(FLAGS_cert_dir),
                       .identity = absl::GetFlag(FLAGS_identity),
                       .key_type = *key_type,
                       .requested_ttl = absl::GetFlag(FLAGS_cert_ttl),
                       .renew_fraction = absl::GetFlag(FLAGS_renew_fraction)},
      .bootstrap_file = absl::GetFlag(FLAGS_bootstrap_file),
      .bootstrap = {.server_uri = absl::GetFlag(FLAGS_pilot_address),
                    .node_id = absl::GetFlag(FLAGS_node_id),
                    .locality = absl::GetFlag(FLAGS_locality)},
      .sds_socket = absl::GetFlag(FLAGS_sds_socket),
  };
  for (absl::string_view label :
       absl::StrSplit(absl::GetFlag(FLAGS_labels), ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(label, absl::MaxSplits('=', 1));
    options.bootstrap.labels[kv.first] = kv.second;
  }
  keel::agent::AgentService agent(std::move(options));
  return keel::RunService(agent, keel::HostOptionsFromFlags(/*grpc_address=*/""), shutdown);
}
