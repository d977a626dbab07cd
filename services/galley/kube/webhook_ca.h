// WebhookCaKeeper keeps the caBundle of Galley's webhook configurations
// (its ValidatingWebhookConfiguration, and the injector's
// MutatingWebhookConfiguration) equal to the CA of Galley's webhook
// certificate, as Istio 1.4's Galley did: the chart installs them with an
// empty bundle, and a `helm upgrade` that resets one is corrected within
// `period`.
#ifndef KEEL_SERVICES_GALLEY_KUBE_WEBHOOK_CA_H_
#define KEEL_SERVICES_GALLEY_KUBE_WEBHOOK_CA_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/kube/api_client.h"

namespace keel::galley::kube {

class WebhookCaKeeper {
 public:
  // Start checks at once, then every `period`, on a thread of its own.
  // `configurations` are "validatingwebhookconfigurations/<name>" or
  // "mutatingwebhookconfigurations/<name>".
  static absl::StatusOr<std::unique_ptr<WebhookCaKeeper>> Start(
      keel::kube::ClusterAccess access, std::vector<std::string> configurations, std::string ca_file,
      absl::Duration period = absl::Seconds(30));
  ~WebhookCaKeeper();

  // CheckOnce reads each configuration and writes the bundle into each of
  // its webhooks that lacks it. OK when every webhook has it.
  absl::Status CheckOnce();

 private:
  WebhookCaKeeper(std::unique_ptr<keel::kube::ApiClient> client,
                  std::vector<std::string> configurations, std::string ca_file,
                  absl::Duration period);
  void Loop();
  absl::Status CheckOne(const std::string& configuration, const std::string& bundle);

  std::unique_ptr<keel::kube::ApiClient> client_;
  std::vector<std::string> configurations_;
  std::string ca_file_;
  absl::Duration period_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace keel::galley::kube

#endif  // KEEL_SERVICES_GALLEY_KUBE_WEBHOOK_CA_H_
