// Fuzz target: what a caller can send Citadel — a CSR in PEM (and the chains
// and tokens Citadel reads) — must never crash it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "libs/mtls/bootstrap_token.h"
#include "libs/mtls/certificate.h"
#include "libs/mtls/spiffe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<keel::mtls::CertificateRequest> csr =
      keel::mtls::CertificateRequest::FromPem(input);
  if (csr.ok()) {
    for (const std::string& uri : csr->UriSans()) (void)keel::mtls::SpiffeId::Parse(uri);
    (void)csr->KeyInfo().Describe();
  }
  absl::StatusOr<std::vector<keel::mtls::Certificate>> chain =
      keel::mtls::Certificate::ChainFromPem(input);
  if (chain.ok()) {
    for (const keel::mtls::Certificate& cert : *chain) {
      (void)cert.UriSans();
      (void)cert.SubjectText();
      (void)cert.NotAfter();
    }
    (void)keel::mtls::VerifyChain(*chain, {chain->back()});
  }
  static const keel::mtls::TokenSigner* tokens = new keel::mtls::TokenSigner(std::string(32, 'k'));
  (void)tokens->Verify(input);
  return 0;
}
