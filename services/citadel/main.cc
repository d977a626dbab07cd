// citadel: the mesh's certificate authority.
//
//   citadel --ca_dir=DIR [--ca_mode=self-signed|cacerts]     serve
//   citadel --ca_dir=DIR issue-token NAMESPACE SERVICE_ACCOUNT [--token_ttl=1h]
//   citadel --ca_dir=DIR rotate-root begin|retire
//   citadel --etcd_endpoints=... rotate-root begin [--rotation_overlap=24h] | retire
//
// The admin commands work on the CA's files; a running Citadel picks the
// change up. On etcd, rotate-root asks the replicas' leader, which makes the
// new root and, once the overlap has passed (or `retire` ends it), retires
// the old ones.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/common/binary.h"
#include "libs/etcd/client.h"
#include "libs/mtls/bootstrap_token.h"
#include "services/citadel/citadel_flags.h"
#include "services/citadel/citadel_service.h"
#include "services/citadel/etcd_ca.h"

ABSL_FLAG(keel::ListenAddress, grpc_address, {":8060"},
          "host:port of the CA gRPC server (TLS), as Istio 1.4 Citadel's.");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "citadel: %s\n", message.c_str());
  return 1;
}

int IssueToken(const keel::citadel::CitadelOptions& options, const std::vector<std::string>& args) {
  if (args.size() != 3) return Fail("usage: citadel issue-token NAMESPACE SERVICE_ACCOUNT");
  if (options.ca_dir.empty() && options.token_key_file.empty()) return Fail("--ca_dir is required");
  const std::string key_file =
      options.token_key_file.empty() ? options.ca_dir + "/token-key" : options.token_key_file;
  absl::StatusOr<keel::mtls::TokenSigner> tokens =
      keel::mtls::TokenSigner::FromKeyFile(key_file, true);
  if (!tokens.ok()) return Fail(std::string(tokens.status().message()));
  absl::StatusOr<std::string> token =
      tokens->Issue(args[1], args[2], keel::citadel::TokenTtlFromFlags());
  if (!token.ok()) return Fail(std::string(token.status().message()));
  std::printf("%s\n", token->c_str());
  return 0;
}

int RotateRoot(const keel::citadel::CitadelOptions& options, const std::vector<std::string>& args) {
  if (args.size() != 2 || (args[1] != "begin" && args[1] != "retire")) {
    return Fail("usage: citadel rotate-root begin|retire");
  }
  // On etcd the leading replica rotates: this only asks it to.
  if (!options.etcd_endpoints.empty()) {
    absl::StatusOr<std::unique_ptr<keel::etcd::EtcdClient>> client =
        keel::etcd::EtcdClient::Connect({.endpoints = options.etcd_endpoints});
    if (!client.ok()) return Fail(std::string(client.status().message()));
    const absl::Duration overlap = keel::citadel::RotationOverlapFromFlags();
    absl::Status asked = args[1] == "begin" ? keel::citadel::RequestRootRotation(**client, overlap)
                                            : keel::citadel::RequestRetireNow(**client);
    if (!asked.ok()) return Fail(std::string(asked.message()));
    if (args[1] == "begin") {
      std::printf("root rotation asked of the leading replica: a new root now, the old ones "
                  "retired after %s\n",
                  absl::FormatDuration(overlap).c_str());
    } else {
      std::printf("the leading replica retires the old roots now\n");
    }
    return 0;
  }
  if (options.ca_dir.empty()) return Fail("--ca_dir is required");
  absl::StatusOr<std::unique_ptr<keel::mtls::CertificateSigner>> ca =
      keel::mtls::NewSigner(options.ca_mode, keel::citadel::SignerConfigFor(options));
  if (!ca.ok()) return Fail(std::string(ca.status().message()));
  absl::Status done = args[1] == "begin" ? (*ca)->RotateRoot() : (*ca)->RetireOldRoots();
  if (!done.ok()) return Fail(std::string(done.message()));
  std::printf("%s: signing with root %s; %zu trusted roots\n", args[1].c_str(),
              (*ca)->SigningCertificate().SerialHex().c_str(), (*ca)->Roots().size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  keel::ShutdownSignal shutdown;
  std::vector<std::string> args = keel::InitBinaryOrExit(
      argc, argv, "citadel", "Citadel signs workload certificates with SPIFFE identities.");
  keel::citadel::CitadelOptions options = keel::citadel::CitadelOptionsFromFlags();
  if (!args.empty() && args[0] == "issue-token") return IssueToken(options, args);
  if (!args.empty() && args[0] == "rotate-root") return RotateRoot(options, args);
  if (!args.empty()) {
    std::fprintf(stderr, "citadel: unknown command \"%s\" (issue-token, rotate-root)\n",
                 args[0].c_str());
    return 2;
  }
  keel::citadel::CitadelService citadel(std::move(options));
  return keel::RunService(
      citadel, keel::HostOptionsFromFlags(absl::GetFlag(FLAGS_grpc_address).value), shutdown);
}
