#include "libs/tracing/zipkin_exporter.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/common/http_client.h"
#include "libs/common/json_writer.h"

namespace keel::tracing {

std::string ZipkinJson(const std::vector<Span>& spans) {
  JsonWriter json;
  json.BeginArray();
  for (const Span& span : spans) {
    json.BeginObject();
    json.Key("traceId").String(span.context.TraceIdHex());
    json.Key("id").String(span.context.SpanIdHex());
    if (span.context.parent_span_id != 0) {
      json.Key("parentId").String(absl::StrFormat("%016x", span.context.parent_span_id));
    }
    json.Key("name").String(span.name);
    json.Key("kind").String(span.kind == Span::Kind::kClient ? "CLIENT" : "SERVER");
    json.Key("timestamp").Int(absl::ToUnixMicros(span.start));
    // Zipkin wants at least 1 µs.
    json.Key("duration").Int(std::max<int64_t>(1, absl::ToInt64Microseconds(span.duration)));
    if (span.context.sampling == Sampling::kDebug) json.Key("debug").Bool(true);
    json.Key("localEndpoint").BeginObject().Key("serviceName").String(span.service).EndObject();
    if (!span.tags.empty()) {
      json.Key("tags").BeginObject();
      for (const auto& [key, value] : span.tags) json.Key(key).String(value);
      json.EndObject();
    }
    json.EndObject();
  }
  json.EndArray();
  return json.Take();
}

ZipkinExporter::ZipkinExporter(ZipkinExporterOptions options)
    : options_(std::move(options)), thread_([this] { Run(); }) {}

ZipkinExporter::~ZipkinExporter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void ZipkinExporter::Export(Span span) {
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= options_.max_queued) {
    ++counts_.dropped;
    return;
  }
  queue_.push_back(std::move(span));
}

ZipkinExporter::Counts ZipkinExporter::counts() const {
  absl::MutexLock lock(&mu_);
  return counts_;
}

size_t ZipkinExporter::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void ZipkinExporter::Run() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      // A full batch is sent at once; otherwise every flush interval.
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stopping_ || queue_.size() >= options_.max_batch;
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), options_.flush_interval);
      if (stopping_) break;
    }
    while (SendBatch()) {
      absl::MutexLock lock(&mu_);
      if (stopping_ || queue_.size() < options_.max_batch) break;
    }
  }
  // Stopping: one attempt for what is left, batch by batch.
  while (SendBatch()) {
  }
}

bool ZipkinExporter::SendBatch() {
  std::vector<Span> batch;
  {
    absl::MutexLock lock(&mu_);
    if (queue_.empty()) return false;
    const size_t n = std::min(queue_.size(), options_.max_batch);
    batch.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  absl::StatusOr<HttpResponse> sent = HttpFetch({.method = "POST",
                                                 .address = options_.address,
                                                 .target = options_.path,
                                                 .body = ZipkinJson(batch),
                                                 .timeout = options_.timeout});
  absl::MutexLock lock(&mu_);
  if (sent.ok() && sent->status >= 200 && sent->status < 300) {
    counts_.exported += batch.size();
  } else {
    // Not retried: a collector that is down must not make memory grow.
    counts_.dropped += batch.size();
    ++counts_.requests_failed;
  }
  return true;
}

}  // namespace keel::tracing
