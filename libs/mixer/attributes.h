// Mixer attributes: the typed values a request is described by
// ("source.principal", "request.size", ...), and their compressed wire form
// (istio.mixer.v1.CompressedAttributes), decoded with every index checked.
#ifndef KEEL_LIBS_MIXER_ATTRIBUTES_H_
#define KEEL_LIBS_MIXER_ATTRIBUTES_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "libs/mixer/global_dictionary.h"
#include "proto/istio/mixer/v1/attributes.pb.h"
#include "proto/istio/mixer/v1/mixer.pb.h"

namespace keel::mixer {

// Bytes are a distinct type from strings (an attribute's type is part of
// its meaning: "source.ip" is bytes).
struct Bytes {
  std::string data;
  bool operator==(const Bytes& other) const { return data == other.data; }
};
using StringMap = std::map<std::string, std::string>;
using AttributeValue =
    std::variant<std::string, int64_t, double, bool, Bytes, absl::Time, absl::Duration, StringMap>;

// AttributeBag: attributes by name.
using AttributeBag = absl::flat_hash_map<std::string, AttributeValue>;

// An attribute an expression reads: the whole attribute, or one key of a
// string map when the expression indexes it with a constant.
struct AttributeReference {
  std::string name;
  std::optional<std::string> map_key;
  bool operator==(const AttributeReference& other) const {
    return name == other.name && map_key == other.map_key;
  }
  template <typename H>
  friend H AbslHashValue(H h, const AttributeReference& r) {
    return H::combine(std::move(h), r.name, r.map_key);
  }
};

// What one request may hold: beyond these, it is refused rather than
// decoded (a client cannot make Mixer allocate without bound).
struct DecodeLimits {
  size_t max_words = 4096;        // of one message (or of a Report's default_words)
  size_t max_attributes = 1024;   // of one message
  size_t max_map_entries = 1024;  // of one string map
  // What the whole request decodes to (DecodedSize of every bag built from
  // it): each reference to a word counts its bytes again, and a Report's
  // default_words and each set a DELTA_ENCODING Report copies count too.
  size_t max_decoded_bytes = 4 << 20;
};

// InflightBytes is what every request being decoded in a process holds
// together; DecodeBudget charges it beside the request's own limit, so that
// many requests at once cannot add up past it either.
class InflightBytes {
 public:
  explicit InflightBytes(size_t limit) : limit_(limit) {}
  // Reserve takes `bytes`; false (nothing taken) when that would pass the limit.
  bool Reserve(size_t bytes);
  void Release(size_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }
  size_t used() const { return used_.load(std::memory_order_relaxed); }
  size_t limit() const { return limit_; }

 private:
  const size_t limit_;
  std::atomic<size_t> used_{0};
};

// DecodeBudget is one request's account of the memory its decoding holds.
// ResourceExhausted once the request passes max_decoded_bytes, or the
// process's InflightBytes (if given) is spent; what it holds is returned to
// the process when the budget is destroyed.
class DecodeBudget {
 public:
  explicit DecodeBudget(const DecodeLimits& limits = {}, InflightBytes* process = nullptr)
      : limit_(limits.max_decoded_bytes), process_(process) {}
  ~DecodeBudget();
  DecodeBudget(const DecodeBudget&) = delete;
  DecodeBudget& operator=(const DecodeBudget&) = delete;

  absl::Status Charge(size_t bytes);
  size_t used() const { return used_; }

 private:
  const size_t limit_;
  InflightBytes* const process_;
  size_t used_ = 0;
};

// DecodedSize is what one attribute, or a whole bag, costs a DecodeBudget:
// its name and value bytes and a fixed overhead per entry.
size_t DecodedSize(const std::string& name, const AttributeValue& value);
size_t DecodedSize(const AttributeBag& bag);

// DecodeInto adds the attributes of `compressed` to `bag`, replacing those
// of the same name (a Report's delta encoding builds on the set before),
// and charges what it adds to `budget`.
// `global_word_count` is the number of dictionary words the client knows (0:
// as many as Keel's dictionary has); `default_words` stand in for the
// message's own words when it has none. InvalidArgument names the problem:
// an index outside either word list, a name given twice, a malformed
// timestamp or duration, a limit passed; ResourceExhausted says the budget
// is spent.
absl::Status DecodeInto(const istio::mixer::v1::CompressedAttributes& compressed,
                        const GlobalDictionary& dictionary, uint32_t global_word_count,
                        absl::Span<const std::string> default_words, AttributeBag& bag,
                        DecodeBudget& budget, const DecodeLimits& limits = {});

// Decode is DecodeInto of one message into a new bag, with a budget of its own.
absl::StatusOr<AttributeBag> Decode(const istio::mixer::v1::CompressedAttributes& compressed,
                                    const GlobalDictionary& dictionary,
                                    uint32_t global_word_count,
                                    const DecodeLimits& limits = {});

// DecodeReport decodes every attribute set of a Report into a bag of its
// own (under DELTA_ENCODING each set builds on the one before), charging
// `budget` for the request's default_words and for every bag. An error
// names the set; nothing is decoded then.
absl::StatusOr<std::vector<AttributeBag>> DecodeReport(
    const istio::mixer::v1::ReportRequest& request, const GlobalDictionary& dictionary,
    DecodeBudget& budget, const DecodeLimits& limits = {});

// SetPrincipal records a SPIFFE id ("spiffe://TD/ns/NS/sa/SA") as the
// principal of `side` ("source" or "destination"), as Istio writes it
// (TD/ns/NS/sa/SA); for the source also source.user and source.namespace.
// False (and nothing set) when `spiffe_id` is not one.
bool SetPrincipal(absl::string_view spiffe_id, absl::string_view side, AttributeBag& bag);

// Encode compresses `bag`: words of the dictionary by index, others in the
// message's own word list.
istio::mixer::v1::CompressedAttributes Encode(const AttributeBag& bag,
                                              const GlobalDictionary& dictionary);

// Initial metadata of every Check answer from Keel's Mixer: the version of
// the config that answered (16 hex digits), so a client's cache can drop
// answers of older config.
inline constexpr char kConfigVersionMetadata[] = "keel-mixer-config-version";

// A reference as a Check answer carries it: EXACT when `bag` has the
// attribute (or map key), ABSENCE when it does not.
struct ReferencedValue {
  AttributeReference reference;
  bool present = false;
};

// EncodeReferences writes what a Check answer depended on, in `bag`'s
// terms, into istio.mixer.v1.ReferencedAttributes.
// Only the first `global_word_count` dictionary words (0: all) are used by
// index, the ones the client knows.
istio::mixer::v1::ReferencedAttributes EncodeReferences(
    absl::Span<const AttributeReference> references, const AttributeBag& bag,
    const GlobalDictionary& dictionary, uint32_t global_word_count = 0);

// DecodeReferences reads them back; InvalidArgument for an index outside
// either word list or a condition other than ABSENCE and EXACT (REGEX is
// not answered by Keel's Mixer, so a client cannot cache by it).
absl::StatusOr<std::vector<ReferencedValue>> DecodeReferences(
    const istio::mixer::v1::ReferencedAttributes& referenced, const GlobalDictionary& dictionary);

}  // namespace keel::mixer

#endif  // KEEL_LIBS_MIXER_ATTRIBUTES_H_
