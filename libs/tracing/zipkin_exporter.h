// Finished spans, batched off the request path and sent to a Zipkin v2
// endpoint (Jaeger's Zipkin receiver, or Zipkin), as Istio 1.4's proxies
// sent theirs. Memory is bounded: Export never blocks, and a span that finds
// the queue full, or whose batch the collector does not take, is dropped
// and counted.
//
//   ZipkinExporter exporter({.address = "jaeger:9411"});
//   exporter.Export(span);  // from any thread
#ifndef KEEL_LIBS_TRACING_ZIPKIN_EXPORTER_H_
#define KEEL_LIBS_TRACING_ZIPKIN_EXPORTER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/tracing/trace_context.h"

namespace keel::tracing {

struct Span {
  enum class Kind { kClient, kServer };
  TraceContext context;  // trace, span and parent ids
  std::string name;
  Kind kind = Kind::kClient;
  absl::Time start;
  absl::Duration duration;
  std::string service;  // localEndpoint.serviceName
  std::map<std::string, std::string> tags;
};

// ZipkinJson is `spans` as a Zipkin v2 JSON array (POST /api/v2/spans).
std::string ZipkinJson(const std::vector<Span>& spans);

struct ZipkinExporterOptions {
  std::string address;  // "host:port" of the Zipkin receiver
  std::string path = "/api/v2/spans";
  size_t max_queued = 10000;  // spans waiting; more are dropped
  size_t max_batch = 512;     // spans per request
  absl::Duration flush_interval = absl::Seconds(1);
  absl::Duration timeout = absl::Seconds(5);  // per request
};

class ZipkinExporter {
 public:
  explicit ZipkinExporter(ZipkinExporterOptions options);
  // Sends what is queued (one attempt), then stops.
  ~ZipkinExporter();
  ZipkinExporter(const ZipkinExporter&) = delete;
  ZipkinExporter& operator=(const ZipkinExporter&) = delete;

  // Export queues a finished span; never blocks on the network.
  void Export(Span span);

  struct Counts {
    uint64_t exported = 0;  // accepted by the collector
    uint64_t dropped = 0;   // queue full, or the collector refused or was unreachable
    uint64_t requests_failed = 0;
  };
  Counts counts() const;
  size_t queued() const;

 private:
  void Run();
  // Sends up to max_batch queued spans; returns whether any were queued.
  bool SendBatch();

  const ZipkinExporterOptions options_;
  mutable absl::Mutex mu_;
  std::deque<Span> queue_ ABSL_GUARDED_BY(mu_);
  Counts counts_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace keel::tracing

#endif  // KEEL_LIBS_TRACING_ZIPKIN_EXPORTER_H_
