#include "services/citadel/citadel_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "libs/common/shared_flags.h"

ABSL_FLAG(std::string, ca_mode, "self-signed",
          "self-signed (a root made on first start and kept in --ca_dir) or cacerts (Istio's "
          "plugged-in CA files in --ca_dir: ca-cert.pem, ca-key.pem, root-cert.pem, "
          "cert-chain.pem).");
ABSL_FLAG(std::string, ca_dir, "", "Folder of the CA's files.");
ABSL_FLAG(absl::Duration, workload_cert_ttl, absl::Hours(24),
          "Lifetime of issued workload certificates when the request asks for none.");
ABSL_FLAG(absl::Duration, max_workload_cert_ttl, absl::Hours(24 * 90),
          "Longest lifetime a request may ask for.");
ABSL_FLAG(double, certificates_per_second, 10,
          "Certificates one identity (and one bootstrap token) may get per second; more are "
          "refused with RESOURCE_EXHAUSTED. 0: no limit.");
ABSL_FLAG(double, certificate_burst, 100,
          "How many certificates one identity may get at once beyond that rate (a rollout).");
ABSL_FLAG(absl::Duration, root_ttl, absl::Hours(24 * 365 * 10), "Lifetime of a self-signed root.");
ABSL_FLAG(std::string, token_key_file, "",
          "Secret that signs bootstrap tokens (default <ca_dir>/token-key, made if missing).");
ABSL_FLAG(std::string, serving_dir, "",
          "Folder for the CA server's own certificate (default: a temporary folder, removed on a "
          "clean stop).");
ABSL_FLAG(std::string, server_names,
          "localhost,citadel,keel-citadel,keel-citadel.keel-system.svc,keel,istiod,"
          "keel-istiod.keel-system.svc",
          "Comma-separated DNS names clients reach the CA by.");
ABSL_FLAG(absl::Duration, leader_lease, absl::Seconds(5),
          "On etcd: how long a dead leader (the replica that rotates roots) keeps the lead.");
ABSL_FLAG(absl::Duration, rotation_overlap, absl::Hours(24),
          "rotate-root begin on etcd: how long old and new roots are both trusted before the "
          "leader retires the old ones (every workload must renew within it).");
ABSL_FLAG(absl::Duration, token_ttl, absl::Hours(1), "issue-token: lifetime of the token.");
ABSL_FLAG(absl::Duration, expiry_warning, absl::Hours(24 * 30),
          "Log a warning when the root or signing certificate has less than this left.");

namespace keel::citadel {

CitadelOptions CitadelOptionsFromFlags() {
  return CitadelOptions{
      .ca_mode = absl::GetFlag(FLAGS_ca_mode),
      .ca_dir = absl::GetFlag(FLAGS_ca_dir),
      .trust_domain = absl::GetFlag(FLAGS_trust_domain),
      .workload_cert_ttl = absl::GetFlag(FLAGS_workload_cert_ttl),
      .max_workload_cert_ttl = absl::GetFlag(FLAGS_max_workload_cert_ttl),
      .certificates_per_second = absl::GetFlag(FLAGS_certificates_per_second),
      .certificate_burst = absl::GetFlag(FLAGS_certificate_burst),
      .root_ttl = absl::GetFlag(FLAGS_root_ttl),
      .token_key_file = absl::GetFlag(FLAGS_token_key_file),
      .serving_dir = absl::GetFlag(FLAGS_serving_dir),
      .server_names = absl::StrSplit(absl::GetFlag(FLAGS_server_names), ',', absl::SkipEmpty()),
      .expiry_warning = absl::GetFlag(FLAGS_expiry_warning),
      .etcd_endpoints = absl::GetFlag(FLAGS_etcd_endpoints),
      .leader_lease = absl::GetFlag(FLAGS_leader_lease),
  };
}

absl::Duration TokenTtlFromFlags() { return absl::GetFlag(FLAGS_token_ttl); }
absl::Duration RotationOverlapFromFlags() { return absl::GetFlag(FLAGS_rotation_overlap); }

}  // namespace keel::citadel
