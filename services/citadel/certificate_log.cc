#include "services/citadel/certificate_log.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace keel::citadel {
namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

}  // namespace

void CertificateLog::RecordIssued(const Issued& issued, absl::Time now) {
  absl::MutexLock lock(&mu_);
  ++issued_;
  auto found = workloads_.find(issued.identity);
  if (found == workloads_.end()) {
    if (workloads_.size() >= max_identities_) {
      // The identity heard from longest ago makes room.
      auto stalest = std::min_element(
          workloads_.begin(), workloads_.end(),
          [](const auto& a, const auto& b) { return a.second.last_issued < b.second.last_issued; });
      workloads_.erase(stalest);
    }
    found = workloads_.emplace(issued.identity, Workload{}).first;
  }
  Workload& workload = found->second;
  workload.not_after = issued.not_after;
  workload.last_issued = now;
  workload.serial = issued.serial;
  if (issued.renewal) ++workload.renewals;
  AddEvent(
      {.at = now,
       .kind = issued.renewal ? "renewed" : "issued",
       .identity = issued.identity,
       .detail = absl::StrCat("serial ", issued.serial, ", until ", Rfc3339(issued.not_after))});
}

void CertificateLog::RecordCaEvent(std::string what, absl::Time now) {
  absl::MutexLock lock(&mu_);
  AddEvent({.at = now, .kind = "ca", .detail = std::move(what)});
}

void CertificateLog::AddEvent(Event event) {
  events_.push_back(std::move(event));
  while (events_.size() > max_events_) events_.pop_front();
}

void CertificateLog::WriteJson(JsonWriter& json) const {
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<std::string, Workload>> workloads(workloads_.begin(), workloads_.end());
  std::stable_sort(workloads.begin(), workloads.end(), [](const auto& a, const auto& b) {
    return a.second.not_after < b.second.not_after;
  });
  json.Key("issued").Int(issued_);
  json.Key("workloads").BeginArray();
  for (const auto& [identity, workload] : workloads) {
    json.BeginObject()
        .Key("identity")
        .String(identity)
        .Key("serial")
        .String(workload.serial)
        .Key("notAfter")
        .String(Rfc3339(workload.not_after))
        .Key("notAfterUnix")
        .Int(absl::ToUnixSeconds(workload.not_after))
        .Key("lastIssued")
        .String(Rfc3339(workload.last_issued))
        .Key("renewals")
        .Int(workload.renewals)
        .EndObject();
  }
  json.EndArray().Key("events").BeginArray();
  for (auto it = events_.rbegin(); it != events_.rend(); ++it) {
    json.BeginObject()
        .Key("at")
        .String(Rfc3339(it->at))
        .Key("kind")
        .String(it->kind)
        .Key("identity")
        .String(it->identity)
        .Key("detail")
        .String(it->detail)
        .EndObject();
  }
  json.EndArray();
}

}  // namespace keel::citadel
