#include "services/mixer/mixer_service.h"

#include "absl/strings/str_cat.h"
#include "libs/mesh/mcp.h"
#include "libs/mesh/schema.h"
#include "spdlog/spdlog.h"

namespace keel::mixer {
namespace {

constexpr const char* kMixerKinds[] = {"attributemanifest", "handler",          "instance",
                                       "rule",              "QuotaSpec",        "QuotaSpecBinding",
                                       "HTTPAPISpec",       "HTTPAPISpecBinding"};

std::string TypeUrl(const char* kind) {
  const mesh::KindInfo* info = mesh::FindKindByName(kind);
  return info == nullptr ? "" : info->type_url();
}

}  // namespace

MixerService::MixerService(MixerOptions options) : options_(std::move(options)) {
  absl::StatusOr<std::shared_ptr<const Policy>> empty = Policy::Compile({}, options_.config_namespace);
  policy_ = *empty;
}

MixerService::~MixerService() { Stop(); }

std::shared_ptr<const Policy> MixerService::policy() const {
  absl::MutexLock lock(&mu_);
  return policy_;
}

// The telemetry adapters' metrics of the policy in force.
class MixerService::AdapterMetrics : public prometheus::Collectable {
 public:
  explicit AdapterMetrics(const MixerService* mixer) : mixer_(mixer) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    return mixer_->policy()->adapter_metrics()->Collect();
  }

 private:
  const MixerService* mixer_;
};

void MixerService::RegisterGrpcServices(grpc::ServerBuilder& builder, MetricsRegistry& metrics) {
  server_ = std::make_unique<MixerServer>(options_.global_dictionary.get(),
                                          [this] { return policy(); }, metrics);
  builder.RegisterService(server_.get());
  metrics.AddCollectable(std::make_shared<AdapterMetrics>(this));
}

absl::Status MixerService::Start(ServiceContext& context) {
  readiness_ = &context.readiness;
  readiness_->SetNotReady("waiting for Mixer config from Galley");
  xds::AdsClientOptions client_options;
  client_options.server_address = options_.galley_address;
  client_options.credentials = options_.galley_credentials;
  client_options.node.set_id("mixer");
  xds::ConfigFeed::Handler on_config = [this](const xds::ResourceUpdate& update) {
    return OnConfig(update);
  };
  galley_ = options_.config_feed
                ? options_.config_feed(std::move(on_config))
                : std::make_unique<xds::AdsClient>(client_options, std::move(on_config));
  for (const char* kind : kMixerKinds) galley_->Subscribe(TypeUrl(kind));
  galley_->Start();
  return absl::OkStatus();
}

absl::Status MixerService::OnConfig(const xds::ResourceUpdate& update) {
  const mesh::KindInfo* kind = mesh::FindKindByTypeUrl(update.type_url);
  if (kind == nullptr) return absl::InvalidArgumentError("unknown type " + update.type_url);
  std::map<std::string, std::shared_ptr<const mesh::Resource>> decoded;
  for (const auto& [name, wire] : update.updated) {
    absl::StatusOr<std::shared_ptr<const mesh::Resource>> resource = mesh::DecodeMcp(*kind, wire->body);
    if (!resource.ok()) return resource.status();
    decoded[name] = *std::move(resource);
  }
  absl::MutexLock lock(&mu_);
  auto next = config_;
  auto& type = next[update.type_url];
  for (const std::string& name : update.removed) type.erase(name);
  for (auto& [name, resource] : decoded) type[name] = std::move(resource);
  std::vector<std::shared_ptr<const mesh::Resource>> all;
  for (const auto& [url, resources] : next) {
    for (const auto& [name, resource] : resources) all.push_back(resource);
  }
  absl::StatusOr<std::shared_ptr<const Policy>> compiled =
      Policy::Compile(all, options_.config_namespace);
  if (!compiled.ok()) {
    spdlog::error("Mixer config refused, the previous one keeps answering: {}",
                  std::string(compiled.status().message()));
    return compiled.status();
  }
  config_ = std::move(next);
  policy_ = *std::move(compiled);
  spdlog::info("Mixer config: {} rules", policy_->rule_count());
  if (config_.size() == std::size(kMixerKinds)) readiness_->SetReady();
  return absl::OkStatus();
}

void MixerService::Stop() {
  if (galley_ != nullptr) galley_->Stop();
}

}  // namespace keel::mixer
