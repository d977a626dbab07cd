#include "services/mixer/mixer_service.h"

#include "absl/strings/str_cat.h"
#include "libs/mesh/schema.h"
#include "spdlog/spdlog.h"

namespace keel::mixer {
MixerService::MixerService(MixerOptions options) : options_(std::move(options)) {}

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
    std::vector<prometheus::MetricFamily> families;
    if (std::shared_ptr<const Policy> policy = mixer_->policy()) {
      families = policy->adapter_metrics()->Collect();
    }
    // The bounded tables adapters key by what callers send.
    prometheus::MetricFamily entries{.name = "mixer_adapter_table_entries",
                                     .help = "Entries in each bounded adapter table.",
                                     .type = prometheus::MetricType::Gauge};
    prometheus::MetricFamily evictions{
        .name = "mixer_adapter_table_evictions_total",
        .help = "Entries evicted from each bounded adapter table to stay within its bytes.",
        .type = prometheus::MetricType::Counter};
    for (const auto& [table, stats] : TableStats::All()) {
      prometheus::ClientMetric held;
      held.label = {{.name = "table", .value = table}};
      held.gauge.value = static_cast<double>(stats->entries.load());
      entries.metric.push_back(held);
      prometheus::ClientMetric evicted;
      evicted.label = held.label;
      evicted.counter.value = static_cast<double>(stats->evictions.load());
      evictions.metric.push_back(evicted);
    }
    families.push_back(std::move(entries));
    families.push_back(std::move(evictions));
    return families;
  }

 private:
  const MixerService* mixer_;
};

void MixerService::RegisterGrpcServices(grpc::ServerBuilder& builder, MetricsRegistry& metrics) {
  server_ = std::make_unique<MixerServer>(options_.global_dictionary.get(),
                                          [this] { return policy(); }, metrics,
                                          options_.request_limits);
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
  for (const std::string& type_url : received_.type_urls()) galley_->Subscribe(type_url);
  galley_->Start();
  return absl::OkStatus();
}

absl::Status MixerService::OnConfig(const xds::ResourceUpdate& update) {
  // What Galley sent is kept whether or not it compiles: a rule may come
  // before the handler it names, and a fix may come in another kind than
  // the fault. The policy is always compiled from all of it.
  absl::StatusOr<bool> stored = received_.Apply(update);
  if (!stored.ok()) return stored.status();
  absl::MutexLock lock(&mu_);
  if (!received_.Complete()) {
    spdlog::info("Mixer config: {} of {} kinds received; Check answers UNAVAILABLE until all are",
                 received_.Names().size(), received_.type_urls().size());
    return absl::OkStatus();
  }
  // Taken, so the intake does not keep a record of changes nobody reads.
  const std::vector<std::shared_ptr<const mesh::Resource>> all = received_.Take().snapshot.resources;
  absl::StatusOr<std::shared_ptr<const Policy>> compiled =
      Policy::Compile(all, options_.config_namespace);
  if (!compiled.ok()) {
    spdlog::error("Mixer config refused, {}: {}",
                  policy_ == nullptr ? "Check answers UNAVAILABLE until one compiles"
                                     : "the last one that compiled keeps answering",
                  std::string(compiled.status().message()));
    return compiled.status();
  }
  policy_ = *std::move(compiled);
  spdlog::info("Mixer config: {} rules (version {:016x})", policy_->rule_count(),
               policy_->version());
  readiness_->SetReady();
  return absl::OkStatus();
}

void MixerService::Stop() {
  if (galley_ != nullptr) galley_->Stop();
}

}  // namespace keel::mixer
