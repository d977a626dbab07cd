#include "integration/apps/mixer_setup.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

ABSL_FLAG(std::string, mixer_address, "", "Mixer's host:port; empty: no policy checks or telemetry.");
ABSL_FLAG(std::string, mixer_telemetry_address, "",
          "Where Reports go when Mixer is split into policy and telemetry (default: --mixer_address).");
ABSL_FLAG(std::string, mixer_global_dictionary, "",
          "A word list shared with Mixer other than Istio 1.4's (built in).");
ABSL_FLAG(std::string, mixer_tls_cert_dir, "",
          "Call Mixer over mutual TLS with the certificate in this folder (the keel-agent's "
          "--cert_dir); empty: plaintext, which Mixer serves only with --insecure_plaintext.");
ABSL_FLAG(std::string, mixer_identity, "spiffe://cluster.local/ns/keel-system/sa/keel-mixer",
          "With --mixer_tls_cert_dir: the SPIFFE id Mixer's certificate must carry.");
ABSL_FLAG(bool, mixer_fail_open, false,
          "Serve requests when Mixer cannot be asked (Istio's policyCheckFailOpen).");
ABSL_FLAG(bool, mixer_check_cache, true, "Cache Check answers as Mixer allows.");
ABSL_FLAG(std::string, workload_name, "", "This workload's name (Mixer attributes).");
ABSL_FLAG(std::string, workload_namespace, "default", "This workload's namespace.");
ABSL_FLAG(std::vector<std::string>, workload_labels, {}, "This workload's labels, key=value.");
ABSL_FLAG(std::string, service_host, "",
          "The service host: this server's own, or (client) the one it calls.");
ABSL_FLAG(std::string, principal, "", "This workload's principal (trust-domain/ns/NS/sa/SA).");

namespace keel::testing {

absl::StatusOr<std::shared_ptr<mixerclient::MixerClient>> MixerClientFromFlags() {
  const std::string address = absl::GetFlag(FLAGS_mixer_address);
  if (address.empty()) return nullptr;
  std::shared_ptr<const mixer::GlobalDictionary> dictionary = mixer::GlobalDictionary::Istio14();
  if (const std::string path = absl::GetFlag(FLAGS_mixer_global_dictionary); !path.empty()) {
    absl::StatusOr<mixer::GlobalDictionary> read = mixer::GlobalDictionary::FromFile(path);
    if (!read.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--mixer_global_dictionary: ", read.status().message()));
    }
    dictionary = std::make_shared<const mixer::GlobalDictionary>(*std::move(read));
  }
  return std::make_shared<mixerclient::MixerClient>(mixerclient::MixerClientOptions{
      .channel = mixerclient::MixerChannel(address, absl::GetFlag(FLAGS_mixer_tls_cert_dir),
                                           absl::GetFlag(FLAGS_mixer_identity)),
      .report_channel = absl::GetFlag(FLAGS_mixer_telemetry_address).empty()
                            ? nullptr
                            : mixerclient::MixerChannel(absl::GetFlag(FLAGS_mixer_telemetry_address),
                                                        absl::GetFlag(FLAGS_mixer_tls_cert_dir),
                                                        absl::GetFlag(FLAGS_mixer_identity)),
      .dictionary = std::move(dictionary),
      .fail_open = absl::GetFlag(FLAGS_mixer_fail_open),
      .check_cache = absl::GetFlag(FLAGS_mixer_check_cache),
  });
}

mixerclient::WorkloadInfo WorkloadFromFlags() {
  mixerclient::WorkloadInfo self{.name = absl::GetFlag(FLAGS_workload_name),
                                 .namespace_name = absl::GetFlag(FLAGS_workload_namespace),
                                 .service_host = absl::GetFlag(FLAGS_service_host),
                                 .principal = absl::GetFlag(FLAGS_principal)};
  for (const std::string& pair : absl::GetFlag(FLAGS_workload_labels)) {
    std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    self.labels[kv.first] = kv.second;
  }
  return self;
}

}  // namespace keel::testing
