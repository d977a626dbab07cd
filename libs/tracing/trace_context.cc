#include "libs/tracing/trace_context.h"

#include <openssl/rand.h>

#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace keel::tracing {
namespace {

// Abseil's string_view here is its own type, not std::string_view.
absl::string_view View(std::string_view text) { return absl::string_view(text.data(), text.size()); }

// ParseHex reads exactly `text` as lower-hex into `out` (at most 16
// characters). The specifications allow lower case only.
bool ParseHex(absl::string_view text, uint64_t& out) {
  if (text.empty() || text.size() > 16) return false;
  uint64_t value = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return false;
    }
    value = (value << 4) | static_cast<uint64_t>(digit);
  }
  out = value;
  return true;
}

// A trace id of 16 or 32 lower-hex characters, not all zero.
bool ParseTraceId(absl::string_view text, TraceContext& context) {
  uint64_t high = 0, low = 0;
  if (text.size() == 32) {
    if (!ParseHex(text.substr(0, 16), high) || !ParseHex(text.substr(16), low)) return false;
  } else if (text.size() == 16) {
    if (!ParseHex(text, low)) return false;
  } else {
    return false;
  }
  if (high == 0 && low == 0) return false;
  context.trace_id_high = high;
  context.trace_id_low = low;
  return true;
}

// A span id of 16 lower-hex characters, not zero.
bool ParseSpanId(absl::string_view text, uint64_t& out) {
  return text.size() == 16 && ParseHex(text, out) && out != 0;
}

std::optional<TraceContext> FromB3Single(absl::string_view value) {
  TraceContext context;
  // A decision alone: "0", "1" or "d".
  if (value == "0") return TraceContext{.sampling = Sampling::kNotSampled};
  if (value == "1") return TraceContext{.sampling = Sampling::kSampled};
  if (value == "d") return TraceContext{.sampling = Sampling::kDebug};
  std::vector<absl::string_view> parts = absl::StrSplit(value, '-');
  if (parts.size() < 2 || parts.size() > 4) return std::nullopt;
  if (!ParseTraceId(parts[0], context) || !ParseSpanId(parts[1], context.span_id)) return std::nullopt;
  if (parts.size() >= 3) {
    if (parts[2] == "1") {
      context.sampling = Sampling::kSampled;
    } else if (parts[2] == "0") {
      context.sampling = Sampling::kNotSampled;
    } else if (parts[2] == "d") {
      context.sampling = Sampling::kDebug;
    } else {
      return std::nullopt;
    }
  }
  if (parts.size() == 4 && !ParseSpanId(parts[3], context.parent_span_id)) return std::nullopt;
  return context;
}

std::optional<TraceContext> FromB3Multi(const HeaderLookup& lookup) {
  TraceContext context;
  const std::optional<std::string_view> sampled = lookup("x-b3-sampled");
  const std::optional<std::string_view> flags = lookup("x-b3-flags");
  if (flags && *flags == "1") {
    context.sampling = Sampling::kDebug;
  } else if (sampled) {
    // "1"/"0" per the specification; "true"/"false" from older tracers.
    if (*sampled == "1" || *sampled == "true") {
      context.sampling = Sampling::kSampled;
    } else if (*sampled == "0" || *sampled == "false") {
      context.sampling = Sampling::kNotSampled;
    }
  }
  const std::optional<std::string_view> trace_id = lookup("x-b3-traceid");
  const std::optional<std::string_view> span_id = lookup("x-b3-spanid");
  if (!trace_id || !span_id) {
    if (context.sampling != Sampling::kUnset) return context;  // a decision alone
    return std::nullopt;
  }
  if (!ParseTraceId(View(*trace_id), context) || !ParseSpanId(View(*span_id), context.span_id)) {
    return std::nullopt;
  }
  if (const std::optional<std::string_view> parent = lookup("x-b3-parentspanid"); parent) {
    if (!ParseSpanId(View(*parent), context.parent_span_id)) return std::nullopt;
  }
  return context;
}

std::optional<TraceContext> FromTraceparent(absl::string_view value) {
  // version "-" trace-id "-" parent-id "-" flags; a later version may add
  // fields after these, version ff is invalid.
  std::vector<absl::string_view> parts = absl::StrSplit(value, '-');
  if (parts.size() < 4 || parts[0].size() != 2 || parts[0] == "ff") return std::nullopt;
  uint64_t version = 0, flags = 0;
  if (!ParseHex(parts[0], version) || (version == 0 && parts.size() != 4)) return std::nullopt;
  TraceContext context;
  if (parts[1].size() != 32 || !ParseTraceId(parts[1], context)) return std::nullopt;
  if (!ParseSpanId(parts[2], context.span_id)) return std::nullopt;
  if (parts[3].size() != 2 || !ParseHex(parts[3], flags)) return std::nullopt;
  context.sampling = (flags & 1) ? Sampling::kSampled : Sampling::kNotSampled;
  return context;
}

class OsSeededIds : public IdSource {
 public:
  OsSeededIds() {
    uint64_t seed[2] = {};
    if (RAND_bytes(reinterpret_cast<unsigned char*>(seed), sizeof(seed)) != 1) {
      seed[0] = std::random_device{}();
      seed[1] = std::random_device{}();
    }
    std::seed_seq sequence{seed[0], seed[0] >> 32, seed[1], seed[1] >> 32};
    engine_.seed(sequence);
  }
  uint64_t Next() override {
    absl::MutexLock lock(&mu_);
    uint64_t id = 0;
    while (id == 0) id = engine_();
    return id;
  }

 private:
  absl::Mutex mu_;
  std::mt19937_64 engine_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

IdSource& RandomIds() {
  static OsSeededIds* ids = new OsSeededIds();
  return *ids;
}

std::string TraceContext::TraceIdHex() const {
  return trace_id_high == 0 ? absl::StrFormat("%016x", trace_id_low)
                            : absl::StrFormat("%016x%016x", trace_id_high, trace_id_low);
}

std::string TraceContext::SpanIdHex() const { return absl::StrFormat("%016x", span_id); }

TraceContext TraceContext::Root(IdSource& ids, bool sampled) {
  return TraceContext{.trace_id_high = ids.Next(),
                      .trace_id_low = ids.Next(),
                      .span_id = ids.Next(),
                      .sampling = sampled ? Sampling::kSampled : Sampling::kNotSampled};
}

TraceContext TraceContext::Child(IdSource& ids) const {
  if (!has_ids()) {
    TraceContext root = Root(ids, sampled());
    root.sampling = sampling;  // the caller's decision, debug included
    return root;
  }
  TraceContext child = *this;
  child.parent_span_id = span_id;
  child.span_id = ids.Next();
  return child;
}

std::optional<TraceContext> ExtractTraceContext(const HeaderLookup& lookup) {
  if (const std::optional<std::string_view> single = lookup("b3"); single) {
    if (std::optional<TraceContext> context = FromB3Single(View(*single)); context) return context;
  }
  if (std::optional<TraceContext> context = FromB3Multi(lookup); context) return context;
  if (const std::optional<std::string_view> parent = lookup("traceparent"); parent) {
    return FromTraceparent(View(*parent));
  }
  return std::nullopt;
}

void InjectTraceContext(const TraceContext& context, const HeaderSetter& set) {
  const char* decision = context.sampling == Sampling::kDebug        ? "d"
                         : context.sampling == Sampling::kSampled    ? "1"
                         : context.sampling == Sampling::kNotSampled ? "0"
                                                                     : "";
  if (!context.has_ids()) {
    // A decision alone travels as one.
    if (*decision != '\0') {
      set("b3", decision);
      if (context.sampling == Sampling::kDebug) {
        set("x-b3-flags", "1");
      } else {
        set("x-b3-sampled", decision);
      }
    }
    return;
  }
  set("x-b3-traceid", context.TraceIdHex());
  set("x-b3-spanid", context.SpanIdHex());
  if (context.parent_span_id != 0) set("x-b3-parentspanid", absl::StrFormat("%016x", context.parent_span_id));
  if (context.sampling == Sampling::kDebug) {
    set("x-b3-flags", "1");
  } else if (*decision != '\0') {
    set("x-b3-sampled", decision);
  }
  std::string single = absl::StrCat(context.TraceIdHex(), "-", context.SpanIdHex());
  if (*decision != '\0') absl::StrAppend(&single, "-", decision);
  if (*decision != '\0' && context.parent_span_id != 0) {
    absl::StrAppend(&single, "-", absl::StrFormat("%016x", context.parent_span_id));
  }
  set("b3", std::move(single));
  // W3C wants a 128-bit id: a 64-bit one is left-padded with zeros.
  set("traceparent", absl::StrFormat("00-%016x%016x-%016x-%s", context.trace_id_high, context.trace_id_low,
                                     context.span_id, context.sampled() ? "01" : "00"));
}

}  // namespace keel::tracing
