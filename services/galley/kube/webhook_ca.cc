#include "services/galley/kube/webhook_ca.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/common/files.h"
#include "libs/common/json_writer.h"
#include "spdlog/spdlog.h"
#include "yaml-cpp/yaml.h"

namespace keel::galley::kube {

absl::StatusOr<std::unique_ptr<WebhookCaKeeper>> WebhookCaKeeper::Start(
    keel::kube::ClusterAccess access, std::vector<std::string> configurations, std::string ca_file,
    absl::Duration period) {
  if (absl::StatusOr<std::string> ca = ReadWholeFile(ca_file); !ca.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--webhook_ca: ", ca.status().message()));
  }
  absl::StatusOr<std::unique_ptr<keel::kube::ApiClient>> client =
      keel::kube::ApiClient::Create(std::move(access));
  if (!client.ok()) return client.status();
  auto keeper = std::unique_ptr<WebhookCaKeeper>(new WebhookCaKeeper(
      *std::move(client), std::move(configurations), std::move(ca_file), period));
  keeper->thread_ = std::thread([raw = keeper.get()] { raw->Loop(); });
  return keeper;
}

WebhookCaKeeper::WebhookCaKeeper(std::unique_ptr<keel::kube::ApiClient> client,
                                 std::vector<std::string> configurations, std::string ca_file,
                                 absl::Duration period)
    : client_(std::move(client)),
      configurations_(std::move(configurations)),
      ca_file_(std::move(ca_file)),
      period_(period) {}

WebhookCaKeeper::~WebhookCaKeeper() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void WebhookCaKeeper::Loop() {
  absl::Duration wait = absl::Milliseconds(200);
  std::string last_problem;
  for (;;) {
    absl::Status checked = CheckOnce();
    if (checked.ok()) {
      if (!last_problem.empty()) spdlog::info("webhook configurations: caBundle is set");
      last_problem.clear();
      wait = period_;
    } else {
      // Said once per distinct problem (a missing configuration is normal
      // until the chart's templates are applied).
      if (std::string(checked.message()) != last_problem) {
        last_problem = std::string(checked.message());
        spdlog::warn("webhook configurations: {}", last_problem);
      }
      wait = std::min(wait * 2, period_);
    }
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
    if (stopping_) return;
  }
}

absl::Status WebhookCaKeeper::CheckOnce() {
  absl::StatusOr<std::string> ca = ReadWholeFile(ca_file_);
  if (!ca.ok()) return ca.status();
  const std::string bundle = absl::Base64Escape(*ca);
  for (const std::string& configuration : configurations_) {
    if (absl::Status checked = CheckOne(configuration, bundle); !checked.ok()) return checked;
  }
  return absl::OkStatus();
}

absl::Status WebhookCaKeeper::CheckOne(const std::string& configuration, const std::string& bundle) {
  const std::string path =
      absl::StrCat("/apis/admissionregistration.k8s.io/v1/", configuration);
  absl::StatusOr<keel::kube::ApiResponse> current = client_->Call({.target = path});
  if (!current.ok()) return current.status();
  if (current->status != 200) {
    return absl::UnavailableError(absl::StrCat("GET ", path, ": ", current->status, " ",
                                               current->body.substr(0, 300)));
  }
  YAML::Node object;
  try {
    object = YAML::Load(current->body);
  } catch (const YAML::Exception& e) {
    return absl::UnavailableError(absl::StrCat("GET ", path, ": unreadable: ", e.msg));
  }
  // A JSON patch adding the bundle to each webhook that lacks it.
  JsonWriter patch;
  patch.BeginArray();
  size_t changes = 0;
  const YAML::Node webhooks = object["webhooks"];
  if (webhooks && webhooks.IsSequence()) {
    for (size_t i = 0; i < webhooks.size(); ++i) {
      const YAML::Node config = webhooks[i]["clientConfig"];
      const YAML::Node have = config && config.IsMap() ? config["caBundle"] : YAML::Node();
      if (have && have.IsScalar() && have.as<std::string>() == bundle) continue;
      patch.BeginObject()
          .Key("op")
          .String("add")
          .Key("path")
          .String(absl::StrCat("/webhooks/", i, "/clientConfig/caBundle"))
          .Key("value")
          .String(bundle)
          .EndObject();
      ++changes;
    }
  }
  patch.EndArray();
  if (changes == 0) return absl::OkStatus();
  absl::StatusOr<keel::kube::ApiResponse> patched =
      client_->Call({.method = "PATCH",
                     .target = path,
                     .body = patch.Take(),
                     .content_type = "application/json-patch+json"});
  if (!patched.ok()) return patched.status();
  if (patched->status != 200) {
    return absl::UnavailableError(absl::StrCat("PATCH ", path, ": ", patched->status, " ",
                                               patched->body.substr(0, 300)));
  }
  spdlog::info("{}: caBundle written into {} webhook(s)", configuration, changes);
  return absl::OkStatus();
}

}  // namespace keel::galley::kube
