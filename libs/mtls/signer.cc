#include "libs/mtls/signer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"

namespace keel::mtls {
namespace {

struct Registry {
  absl::Mutex mu;
  std::map<std::string, SignerFactory> factories ABSL_GUARDED_BY(mu);
};

Registry& Signers() {
  static Registry* registry = new Registry();  // never destroyed: used at exit too
  return *registry;
}

}  // namespace

bool RegisterSigner(const std::string& name, SignerFactory factory) {
  Registry& registry = Signers();
  absl::MutexLock lock(&registry.mu);
  registry.factories[name] = std::move(factory);
  return true;
}

absl::StatusOr<std::unique_ptr<CertificateSigner>> NewSigner(const std::string& name,
                                                             const SignerConfig& config) {
  SignerFactory factory;
  std::vector<std::string> known;
  {
    Registry& registry = Signers();
    absl::MutexLock lock(&registry.mu);
    auto it = registry.factories.find(name);
    if (it != registry.factories.end()) factory = it->second;
    for (const auto& [known_name, unused] : registry.factories) known.push_back(known_name);
  }
  if (!factory) {
    return absl::NotFoundError(absl::StrCat("no certificate signer \"", name, "\" (known: ",
                                            absl::StrJoin(known, ", "), ")"));
  }
  return factory(config);
}

}  // namespace keel::mtls
