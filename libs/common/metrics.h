// Prometheus metrics for Keel services, on prometheus-cpp.
//
// Each service owns a MetricsRegistry and passes it to the components that
// record metrics, so that several services can share one process without
// sharing a global registry. The monitoring server exposes it at /metrics.
#ifndef KEEL_LIBS_COMMON_METRICS_H_
#define KEEL_LIBS_COMMON_METRICS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "prometheus/collectable.h"
#include "prometheus/registry.h"

namespace keel {

// MetricsRegistry holds the metrics of one service: a prometheus::Registry for
// the service's own families, plus extra collectables (such as process
// metrics) gathered at scrape time.
class MetricsRegistry {
 public:
  // `component` labels keel_build_info; process metrics are always included.
  explicit MetricsRegistry(const std::string& component);

  // registry returns the registry services add their counters, gauges and
  // histograms to.
  prometheus::Registry& registry() { return *registry_; }

  // AddCollectable adds a source of metric families gathered at each scrape.
  void AddCollectable(std::shared_ptr<prometheus::Collectable> collectable);

  // Collect gathers every family, in registration order.
  std::vector<prometheus::MetricFamily> Collect() const;

  // SerializeText returns Collect() in the Prometheus text exposition format.
  std::string SerializeText() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  mutable absl::Mutex mu_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_ ABSL_GUARDED_BY(mu_);
};

// ProcessCollector reports the standard process_* metrics of the calling
// process from /proc: CPU seconds, resident and virtual memory, open and max
// file descriptors, start time and thread count.
class ProcessCollector : public prometheus::Collectable {
 public:
  ProcessCollector();
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  double start_time_seconds_;  // since the epoch, read once
};

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_METRICS_H_
