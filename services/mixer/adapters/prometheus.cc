// prometheus: metric instances become Prometheus series on Mixer's metrics
// port, named istio_<name> as Istio's adapter names them.
//   params: {metrics: [{name: requests_total, instance_name: requestcount.instance.istio-system,
//                       kind: COUNTER | GAUGE | DISTRIBUTION, label_names: [...],
//                       buckets: {explicit_buckets: {bounds: [...]}}}],
//           metricsExpirationPolicy: {metricsExpiryDuration: 10m,
//                                     expiryCheckIntervalDuration: 1m}}
//
// Labels come from what callers report, so the series are a table keyed by
// callers: it is bounded in bytes (kMaxSeriesBytes per handler), the least
// recently updated series removed past it (and counted as evictions of the
// "prometheus_series" table), and series not updated for
// metricsExpiryDuration removed as Istio's adapter removes them.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "libs/common/bounded_lru.h"

#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "services/mixer/adapters/adapter.h"

namespace keel::mixer {
namespace {

// A metric value as a number (Istio's metric template takes INT64, DOUBLE,
// BOOL or DURATION).
std::optional<double> Number(const AttributeValue& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&value)) return *d;
  if (const auto* b = std::get_if<bool>(&value)) return *b ? 1.0 : 0.0;
  if (const auto* t = std::get_if<absl::Duration>(&value)) return absl::ToDoubleSeconds(*t);
  if (const auto* s = std::get_if<std::string>(&value)) {
    double parsed;
    if (absl::SimpleAtod(*s, &parsed)) return parsed;
  }
  return std::nullopt;
}

std::string Label(const AttributeValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  if (const auto* i = std::get_if<int64_t>(&value)) return absl::StrCat(*i);
  if (const auto* d = std::get_if<double>(&value)) return absl::StrCat(*d);
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  return "";
}

constexpr size_t kMaxSeriesBytes = 16 << 20;

class PrometheusAdapter : public ReportAdapter {
 public:
  struct Metric {
    std::string instance;  // the instance's "namespace/name"
    std::string kind;
    std::vector<std::string> labels;
    prometheus::Family<prometheus::Counter>* counters = nullptr;
    prometheus::Family<prometheus::Gauge>* gauges = nullptr;
    prometheus::Family<prometheus::Histogram>* histograms = nullptr;
    prometheus::Histogram::BucketBoundaries buckets;
  };
  // One series: which metric, which of its family's members, when last updated.
  struct Series {
    Metric* metric = nullptr;
    void* member = nullptr;
    absl::Time updated;
  };

  explicit PrometheusAdapter(std::function<absl::Time()> clock = absl::Now)
      : clock_(std::move(clock)),
        series_(kMaxSeriesBytes, [this](BoundedLru<Series>::Entry& entry) {
          Remove(entry.value);
          Stats().evictions.fetch_add(1);
        }) {}

  ~PrometheusAdapter() override {
    absl::MutexLock lock(&mu_);
    Stats().entries.fetch_sub(static_cast<int64_t>(series_.size()));
  }

  void Report(const std::vector<InstanceValue>& instances) override {
    const absl::Time now = clock_();
    absl::MutexLock lock(&mu_);
    Expire(now);
    for (const InstanceValue& instance : instances) {
      for (size_t m = 0; m < metrics_.size(); ++m) {
        Metric& metric = metrics_[m];
        if (metric.instance != instance.name) continue;
        auto value_field = instance.fields.find("value");
        if (value_field == instance.fields.end()) continue;
        std::optional<double> value = Number(value_field->second);
        if (!value.has_value()) continue;
        std::map<std::string, std::string> labels;
        size_t label_bytes = 0;
        for (const std::string& label : metric.labels) {
          auto dimension = instance.fields.find("dimensions." + label);
          std::string& text = labels[label];
          text = dimension == instance.fields.end() ? "" : Label(dimension->second);
          label_bytes += label.size() + text.size();
        }
        // prometheus-cpp keeps the labels in its family and again in the
        // metric; a histogram keeps a counter per bucket.
        const size_t cost = 3 * label_bytes + 256 + 48 * metric.buckets.size();
        std::string key = absl::StrCat(m, "\x1f");
        for (const auto& [name, text] : labels) absl::StrAppend(&key, name, "=", text, "\x1f");
        const size_t before = series_.size();
        Series& series = series_.FindOrInsert(key, cost).value;
        Stats().entries.fetch_add(static_cast<int64_t>(series_.size()) - static_cast<int64_t>(before));
        series.metric = &metric;
        series.updated = now;
        if (metric.counters != nullptr) {
          auto& counter = metric.counters->Add(labels);
          series.member = &counter;
          counter.Increment(*value);
        } else if (metric.gauges != nullptr) {
          auto& gauge = metric.gauges->Add(labels);
          series.member = &gauge;
          gauge.Set(*value);
        } else if (metric.histograms != nullptr) {
          auto& histogram = metric.histograms->Add(labels, metric.buckets);
          series.member = &histogram;
          histogram.Observe(*value);
        }
      }
    }
  }

  std::vector<Metric> metrics_;
  absl::Duration expiry_ = absl::InfiniteDuration();
  absl::Duration expiry_check_interval_ = absl::Minutes(1);

 private:
  // Looked up once, not on every Report.
  static TableStats& Stats() {
    static TableStats& stats = TableStats::For("prometheus_series");
    return stats;
  }

  void Remove(const Series& series) {
    if (series.member == nullptr) return;
    const Metric& metric = *series.metric;
    if (metric.counters != nullptr) {
      metric.counters->Remove(static_cast<prometheus::Counter*>(series.member));
    } else if (metric.gauges != nullptr) {
      metric.gauges->Remove(static_cast<prometheus::Gauge*>(series.member));
    } else if (metric.histograms != nullptr) {
      metric.histograms->Remove(static_cast<prometheus::Histogram*>(series.member));
    }
  }

  // Removes series not updated for expiry_, at most once per check interval.
  void Expire(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (expiry_ == absl::InfiniteDuration() || now - last_expiry_check_ < expiry_check_interval_) {
      return;
    }
    last_expiry_check_ = now;
    while (BoundedLru<Series>::Entry* oldest = series_.Oldest()) {
      if (oldest->value.updated > now - expiry_) break;
      Remove(oldest->value);
      series_.Erase(oldest->key);
      Stats().entries.fetch_sub(1);
    }
  }

  std::function<absl::Time()> clock_;
  absl::Mutex mu_;
  BoundedLru<Series> series_ ABSL_GUARDED_BY(mu_);
  absl::Time last_expiry_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

absl::StatusOr<std::unique_ptr<ReportAdapter>> NewPrometheus(const google::protobuf::Struct& params,
                                                             prometheus::Registry& registry) {
  auto adapter = std::make_unique<PrometheusAdapter>();
  for (const char* name : {"metricsExpirationPolicy", "metrics_expiration_policy"}) {
    auto policy = params.fields().find(name);
    if (policy == params.fields().end()) continue;
    const google::protobuf::Struct& fields = policy->second.struct_value();
    absl::StatusOr<absl::Duration> expiry = DurationParam(fields, "metricsExpiryDuration", absl::ZeroDuration());
    if (expiry.ok() && *expiry == absl::ZeroDuration()) {
      expiry = DurationParam(fields, "metrics_expiry_duration", absl::ZeroDuration());
    }
    absl::StatusOr<absl::Duration> interval =
        DurationParam(fields, "expiryCheckIntervalDuration", absl::ZeroDuration());
    if (interval.ok() && *interval == absl::ZeroDuration()) {
      interval = DurationParam(fields, "expiry_check_interval_duration", absl::ZeroDuration());
    }
    if (!expiry.ok() || !interval.ok()) {
      const absl::Status& bad = !expiry.ok() ? expiry.status() : interval.status();
      return absl::InvalidArgumentError(absl::StrCat(
          "params.metricsExpirationPolicy.", absl::StripPrefix(bad.message(), "params.")));
    }
    if (*expiry <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          "params.metricsExpirationPolicy.metricsExpiryDuration: must be positive");
    }
    adapter->expiry_ = *expiry;
    // Without an interval, expired series are looked for twice per expiry.
    adapter->expiry_check_interval_ = *interval > absl::ZeroDuration() ? *interval : *expiry / 2;
  }
  auto metrics = params.fields().find("metrics");
  if (metrics == params.fields().end()) return adapter;
  int index = 0;
  for (const auto& entry : metrics->second.list_value().values()) {
    const auto& fields = entry.struct_value().fields();
    const std::string at = absl::StrCat("params.metrics[", index++, "]");
    // Istio's params are protobuf JSON: each field by its proto or its camelCase name.
    auto field = [](const auto& in, const char* snake, const char* camel) {
      auto it = in.find(snake);
      return it != in.end() ? it : in.find(camel);
    };
    auto get = [&](const char* snake, const char* camel) {
      auto it = field(fields, snake, camel);
      return it == fields.end() ? std::string() : it->second.string_value();
    };
    PrometheusAdapter::Metric metric;
    const std::string name = get("name", "name");
    if (name.empty()) return absl::InvalidArgumentError(at + ".name: required");
    metric.instance = InstanceKey(get("instance_name", "instanceName"));
    metric.kind = get("kind", "kind");
    if (auto labels = field(fields, "label_names", "labelNames"); labels != fields.end()) {
      for (const auto& label : labels->second.list_value().values()) {
        metric.labels.push_back(label.string_value());
      }
    }
    if (auto buckets = fields.find("buckets"); buckets != fields.end()) {
      const auto& b = buckets->second.struct_value().fields();
      auto number = [&](const google::protobuf::Map<std::string, google::protobuf::Value>& in,
                        const char* snake, const char* camel) {
        auto it = field(in, snake, camel);
        return it == in.end() ? 0.0 : it->second.number_value();
      };
      if (auto e = field(b, "explicit_buckets", "explicitBuckets"); e != b.end()) {
        const auto& bounds = e->second.struct_value().fields();
        if (auto list = bounds.find("bounds"); list != bounds.end()) {
          for (const auto& bound : list->second.list_value().values()) {
            metric.buckets.push_back(bound.number_value());
          }
        }
      } else if (auto x = field(b, "exponential_buckets", "exponentialBuckets"); x != b.end()) {
        const auto& p = x->second.struct_value().fields();
        const double count = number(p, "num_finite_buckets", "numFiniteBuckets");
        const double scale = number(p, "scale", "scale");
        const double growth = number(p, "growth_factor", "growthFactor");
        if (count < 1 || count > 1000 || scale <= 0 || growth <= 1) {
          return absl::InvalidArgumentError(absl::StrCat(
              at, ".buckets.exponentialBuckets: needs 1..1000 buckets, scale > 0, growthFactor > 1"));
        }
        for (int i = 0; i < static_cast<int>(count); ++i) metric.buckets.push_back(scale * std::pow(growth, i));
      } else if (auto l = field(b, "linear_buckets", "linearBuckets"); l != b.end()) {
        const auto& p = l->second.struct_value().fields();
        const double count = number(p, "num_finite_buckets", "numFiniteBuckets");
        const double offset = number(p, "offset", "offset");
        const double width = number(p, "width", "width");
        if (count < 1 || count > 1000 || width <= 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(at, ".buckets.linearBuckets: needs 1..1000 buckets and width > 0"));
        }
        for (int i = 0; i < static_cast<int>(count); ++i) metric.buckets.push_back(offset + width * i);
      }
      if (!std::is_sorted(metric.buckets.begin(), metric.buckets.end())) {
        return absl::InvalidArgumentError(at + ".buckets: bounds must increase");
      }
    }
    const std::string full = "istio_" + name;
    if (metric.kind == "COUNTER") {
      metric.counters = &prometheus::BuildCounter().Name(full).Help(name).Register(registry);
    } else if (metric.kind == "GAUGE") {
      metric.gauges = &prometheus::BuildGauge().Name(full).Help(name).Register(registry);
    } else if (metric.kind == "DISTRIBUTION") {
      metric.histograms = &prometheus::BuildHistogram().Name(full).Help(name).Register(registry);
      if (metric.buckets.empty()) metric.buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".kind: \"", metric.kind, "\" is not COUNTER, GAUGE or DISTRIBUTION"));
    }
    adapter->metrics_.push_back(std::move(metric));
  }
  return adapter;
}

KEEL_REGISTER_REPORT_ADAPTER("prometheus", NewPrometheus);

}  // namespace
}  // namespace keel::mixer
