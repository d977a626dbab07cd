// WebhookCaKeeper keeps the caBundle of Galley's ValidatingWebhookConfiguration
// equal to the CA of Galley's webhook certificate, as Istio 1.4's Galley
// did: the chart installs the configuration with an empty bundle, and a
// `helm upgrade` that resets it is corrected within `period`.
#ifndef KEEL_SERVICES_GALLEY_KUBE_WEBHOOK_CA_H_
#define KEEL_SERVICES_GALLEY_KUBE_WEBHOOK_CA_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/kube/api_client.h"

namespace keel::galley::kube {

class WebhookCaKeeper {
 public:
  // Start checks at once, then every `period`, on a thread of its own.
  static absl::StatusOr<std::unique_ptr<WebhookCaKeeper>> Start(
      keel::kube::ClusterAccess access, std::string configuration, std::string ca_file,
      absl::Duration period = absl::Seconds(30));
  ~WebhookCaKeeper();

  // CheckOnce reads the configuration and writes the bundle into each of
  // its webhooks that lacks it. OK when every webhook has it.
  absl::Status CheckOnce();

 private:
  WebhookCaKeeper(std::unique_ptr<keel::kube::ApiClient> client, std::string configuration,
                  std::string ca_file, absl::Duration period);
  void Loop();

  std::unique_ptr<keel::kube::ApiClient> client_;
  std::string configuration_;
  std::string ca_file_;
  absl::Duration period_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace keel::galley::kube

#endif  // KEEL_SERVICES_GALLEY_KUBE_WEBHOOK_CA_H_
