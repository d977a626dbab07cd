// The trace context a request carries between services, in the formats
// Istio's proxies and their peers speak: B3 (multi-header, as Envoy sent it
// for Istio 1.4, and the single `b3` header) and W3C `traceparent`.
//
//   std::optional<TraceContext> parent = ExtractTraceContext(lookup);
//   TraceContext span = parent ? parent->Child(ids) : TraceContext::Root(ids, sampled);
//   InjectTraceContext(span, set);
//
// Malformed headers are ignored (a new trace starts), as the B3 and W3C
// specifications ask; a sampling decision alone (`b3: 0`, `X-B3-Sampled: 0`)
// is kept, so a caller's "do not sample" is honoured downstream.
#ifndef KEEL_LIBS_TRACING_TRACE_CONTEXT_H_
#define KEEL_LIBS_TRACING_TRACE_CONTEXT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace keel::tracing {

enum class Sampling { kUnset, kSampled, kNotSampled, kDebug };

// IdSource makes span and trace ids (random, never zero).
class IdSource {
 public:
  virtual ~IdSource() = default;
  virtual uint64_t Next() = 0;
};
// RandomIds is an IdSource seeded from the OS.
IdSource& RandomIds();

struct TraceContext {
  // 128-bit trace id as two halves; trace_id_high is 0 for a 64-bit id.
  uint64_t trace_id_high = 0;
  uint64_t trace_id_low = 0;
  uint64_t span_id = 0;         // 0 when only a sampling decision came
  uint64_t parent_span_id = 0;  // 0: none
  Sampling sampling = Sampling::kUnset;

  bool has_ids() const { return trace_id_low != 0 || trace_id_high != 0; }
  bool sampled() const { return sampling == Sampling::kSampled || sampling == Sampling::kDebug; }
  // Lower-hex ids: the trace id as 32 characters (16 for a 64-bit id), the
  // span id as 16.
  std::string TraceIdHex() const;
  std::string SpanIdHex() const;

  // Root starts a trace (a 128-bit id) with a sampling decision.
  static TraceContext Root(IdSource& ids, bool sampled);
  // Child is the context of a span whose parent is this one: same trace and
  // decision, a new span id. A context with no ids (a decision alone)
  // starts a trace that keeps the decision.
  TraceContext Child(IdSource& ids) const;
};

// Header names are lower case (gRPC metadata and HTTP/2 are).
using HeaderLookup = std::function<std::optional<std::string_view>(std::string_view name)>;
using HeaderSetter = std::function<void(std::string_view name, std::string value)>;

// ExtractTraceContext reads, first found wins: `b3`, the X-B3-* headers,
// `traceparent`. nullopt when none is present or valid.
std::optional<TraceContext> ExtractTraceContext(const HeaderLookup& lookup);

// InjectTraceContext writes the X-B3-* headers (as Envoy does for Istio),
// `b3`, and `traceparent`.
void InjectTraceContext(const TraceContext& context, const HeaderSetter& set);

}  // namespace keel::tracing

#endif  // KEEL_LIBS_TRACING_TRACE_CONTEXT_H_
