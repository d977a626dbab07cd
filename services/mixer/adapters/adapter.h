// Mixer's adapters behind one registry: an adapter is one file here with a
// factory registered by its Istio name (KEEL_REGISTER_CHECK_ADAPTER).
#ifndef KEEL_SERVICES_MIXER_ADAPTERS_ADAPTER_H_
#define KEEL_SERVICES_MIXER_ADAPTERS_ADAPTER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "prometheus/registry.h"
#include "libs/mixer/attributes.h"

namespace keel::mixer {

// A check's answer: the status, and how long and how often a client may
// reuse it.
struct CheckResult {
  absl::Status status;
  absl::Duration valid_duration = absl::Seconds(5);
  int32_t valid_use_count = 10000;
};

// One instance handed to an adapter: its template and its fields'
// evaluated values ("value" for listentry).
struct InstanceValue {
  std::string name;
  std::string template_name;
  std::map<std::string, AttributeValue> fields;
};

class CheckAdapter {
 public:
  virtual ~CheckAdapter() = default;
  // Check answers for the instances a matching rule sends.
  virtual CheckResult Check(const std::vector<InstanceValue>& instances) const = 0;
};

// A telemetry adapter: takes the instances of Reports. Its metrics go to
// the registry it was built with, which Mixer exports while its config is
// current.
class ReportAdapter {
 public:
  virtual ~ReportAdapter() = default;
  virtual void Report(const std::vector<InstanceValue>& instances) = 0;
};

using ReportAdapterFactory = std::function<absl::StatusOr<std::unique_ptr<ReportAdapter>>(
    const google::protobuf::Struct&, prometheus::Registry&)>;

bool RegisterReportAdapter(const std::string& name, ReportAdapterFactory factory);
// NewReportAdapter: NotFound for an adapter that does not take reports.
absl::StatusOr<std::unique_ptr<ReportAdapter>> NewReportAdapter(
    const std::string& name, const google::protobuf::Struct& params, prometheus::Registry& metrics);

// A quota adapter: grants amounts of a quota to instances.
struct QuotaRequest {
  int64_t amount = 1;
  bool best_effort = false;  // grant what is left, rather than all or nothing
  std::string deduplication_id;
};
struct QuotaGrant {
  int64_t granted = 0;
  absl::Duration valid_duration;
};
class QuotaAdapter {
 public:
  virtual ~QuotaAdapter() = default;
  virtual QuotaGrant Alloc(const InstanceValue& instance, const QuotaRequest& request) = 0;
};
using QuotaAdapterFactory =
    std::function<absl::StatusOr<std::unique_ptr<QuotaAdapter>>(const google::protobuf::Struct&)>;
bool RegisterQuotaAdapter(const std::string& name, QuotaAdapterFactory factory);
absl::StatusOr<std::unique_ptr<QuotaAdapter>> NewQuotaAdapter(const std::string& name,
                                                              const google::protobuf::Struct& params);

// Builds an adapter from a handler's params; InvalidArgument names the bad
// field.
using CheckAdapterFactory =
    std::function<absl::StatusOr<std::unique_ptr<CheckAdapter>>(const google::protobuf::Struct&)>;

bool RegisterCheckAdapter(const std::string& name, CheckAdapterFactory factory);
// NewCheckAdapter: NotFound for an adapter Keel does not have.
absl::StatusOr<std::unique_ptr<CheckAdapter>> NewCheckAdapter(const std::string& name,
                                                              const google::protobuf::Struct& params);

// Every table an adapter keys by what callers send (a quota's dimension
// values, a deduplication id, a metric's labels) is bounded; TableStats
// counts, across the process, what each holds and has evicted, for
// Mixer's /metrics (mixer_adapter_table_entries and
// mixer_adapter_table_evictions_total, labelled by table).
struct TableStats {
  std::atomic<int64_t> entries{0};
  std::atomic<uint64_t> evictions{0};

  // The stats of `table`, made on first use; they live for the process.
  static TableStats& For(const std::string& table);
  // Every table's, by name.
  static std::map<std::string, const TableStats*> All();
};

// InstanceKey turns Istio's fully qualified instance name, as handler
// params give it ("requestcount.instance.istio-system"), into the
// "namespace/name" key instances are known by.
std::string InstanceKey(const std::string& qualified);

// Reads a duration param ("5s", or a number of seconds); `fallback` if absent.
absl::StatusOr<absl::Duration> DurationParam(const google::protobuf::Struct& params,
                                             const std::string& key, absl::Duration fallback);

}  // namespace keel::mixer

#define KEEL_REGISTER_CHECK_ADAPTER(name, factory) \
  static const bool keel_check_adapter_##factory = ::keel::mixer::RegisterCheckAdapter(name, factory)
#define KEEL_REGISTER_QUOTA_ADAPTER(name, factory) \
  static const bool keel_quota_adapter_##factory = ::keel::mixer::RegisterQuotaAdapter(name, factory)
#define KEEL_REGISTER_REPORT_ADAPTER(name, factory) \
  static const bool keel_report_adapter_##factory = ::keel::mixer::RegisterReportAdapter(name, factory)

#endif  // KEEL_SERVICES_MIXER_ADAPTERS_ADAPTER_H_
