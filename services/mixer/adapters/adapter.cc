#include "services/mixer/adapters/adapter.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"

namespace keel::mixer {
namespace {

struct Registry {
  absl::Mutex mu;
  std::map<std::string, CheckAdapterFactory> factories ABSL_GUARDED_BY(mu);
  std::map<std::string, ReportAdapterFactory> report_factories ABSL_GUARDED_BY(mu);
  std::map<std::string, QuotaAdapterFactory> quota_factories ABSL_GUARDED_BY(mu);
};

Registry& Adapters() {
  static Registry* registry = new Registry();
  return *registry;
}

struct Tables {
  absl::Mutex mu;
  std::map<std::string, std::unique_ptr<TableStats>> by_name ABSL_GUARDED_BY(mu);
};

Tables& AllTables() {
  static Tables* tables = new Tables();
  return *tables;
}

}  // namespace

TableStats& TableStats::For(const std::string& table) {
  Tables& tables = AllTables();
  absl::MutexLock lock(&tables.mu);
  std::unique_ptr<TableStats>& stats = tables.by_name[table];
  if (stats == nullptr) stats = std::make_unique<TableStats>();
  return *stats;
}

std::map<std::string, const TableStats*> TableStats::All() {
  Tables& tables = AllTables();
  absl::MutexLock lock(&tables.mu);
  std::map<std::string, const TableStats*> out;
  for (const auto& [name, stats] : tables.by_name) out[name] = stats.get();
  return out;
}

bool RegisterCheckAdapter(const std::string& name, CheckAdapterFactory factory) {
  absl::MutexLock lock(&Adapters().mu);
  Adapters().factories[name] = std::move(factory);
  return true;
}

absl::StatusOr<std::unique_ptr<CheckAdapter>> NewCheckAdapter(
    const std::string& name, const google::protobuf::Struct& params) {
  CheckAdapterFactory factory;
  std::vector<std::string> known;
  {
    absl::MutexLock lock(&Adapters().mu);
    auto it = Adapters().factories.find(name);
    if (it != Adapters().factories.end()) factory = it->second;
    for (const auto& [known_name, unused] : Adapters().factories) known.push_back(known_name);
  }
  if (!factory) {
    return absl::NotFoundError(absl::StrCat("no check adapter \"", name, "\" (known: ",
                                            absl::StrJoin(known, ", "), ")"));
  }
  return factory(params);
}

bool RegisterQuotaAdapter(const std::string& name, QuotaAdapterFactory factory) {
  absl::MutexLock lock(&Adapters().mu);
  Adapters().quota_factories[name] = std::move(factory);
  return true;
}

absl::StatusOr<std::unique_ptr<QuotaAdapter>> NewQuotaAdapter(const std::string& name,
                                                              const google::protobuf::Struct& params) {
  QuotaAdapterFactory factory;
  {
    absl::MutexLock lock(&Adapters().mu);
    auto it = Adapters().quota_factories.find(name);
    if (it != Adapters().quota_factories.end()) factory = it->second;
  }
  if (!factory) return absl::NotFoundError(absl::StrCat("no quota adapter \"", name, "\""));
  return factory(params);
}

bool RegisterReportAdapter(const std::string& name, ReportAdapterFactory factory) {
  absl::MutexLock lock(&Adapters().mu);
  Adapters().report_factories[name] = std::move(factory);
  return true;
}

absl::StatusOr<std::unique_ptr<ReportAdapter>> NewReportAdapter(
    const std::string& name, const google::protobuf::Struct& params, prometheus::Registry& metrics) {
  ReportAdapterFactory factory;
  {
    absl::MutexLock lock(&Adapters().mu);
    auto it = Adapters().report_factories.find(name);
    if (it != Adapters().report_factories.end()) factory = it->second;
  }
  if (!factory) return absl::NotFoundError(absl::StrCat("no report adapter \"", name, "\""));
  return factory(params, metrics);
}

std::string InstanceKey(const std::string& qualified) {
  const size_t first = qualified.find('.');
  const size_t last = qualified.rfind('.');
  if (first == std::string::npos || first == last) return qualified;
  return qualified.substr(last + 1) + "/" + qualified.substr(0, first);
}

absl::StatusOr<absl::Duration> DurationParam(const google::protobuf::Struct& params,
                                             const std::string& key, absl::Duration fallback) {
  auto it = params.fields().find(key);
  if (it == params.fields().end()) return fallback;
  if (it->second.has_number_value()) return absl::Seconds(it->second.number_value());
  absl::Duration value;
  if (!it->second.has_string_value() || !absl::ParseDuration(it->second.string_value(), &value)) {
    return absl::InvalidArgumentError(absl::StrCat("params.", key, ": not a duration (e.g. 5s)"));
  }
  return value;
}

}  // namespace keel::mixer
