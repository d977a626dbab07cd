// CertificateLog remembers what Citadel did lately, for its /debug/certz
// page and the console's Certificates page: each workload identity's latest
// certificate (when it expires, how many renewals), the last certificates
// issued, and the CA's own events (reloads, root rotations). Bounded: the
// newest `max_events` events and `max_identities` identities are kept.
#ifndef KEEL_SERVICES_CITADEL_CERTIFICATE_LOG_H_
#define KEEL_SERVICES_CITADEL_CERTIFICATE_LOG_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/json_writer.h"

namespace keel::citadel {

class CertificateLog {
 public:
  explicit CertificateLog(size_t max_events = 200, size_t max_identities = 10000)
      : max_events_(max_events), max_identities_(max_identities) {}

  struct Issued {
    std::string identity;  // spiffe://...
    std::string serial;    // hex
    absl::Time not_after;
    // A renewal: the caller authenticated with its current certificate
    // rather than a bootstrap token.
    bool renewal = false;
  };
  void RecordIssued(const Issued& issued, absl::Time now = absl::Now());
  // A CA event in words, e.g. "reloaded: signing with 3F.., 2 trusted roots".
  void RecordCaEvent(std::string what, absl::Time now = absl::Now());

  // Writes "workloads" (soonest expiry first), "events" (newest first) and
  // "issued" (the count since start) as keys of the open JSON object.
  void WriteJson(JsonWriter& json) const;

 private:
  struct Event {
    absl::Time at;
    std::string kind;  // "issued", "renewed", "ca"
    std::string identity;
    std::string detail;
  };
  struct Workload {
    absl::Time not_after;
    absl::Time last_issued;
    std::string serial;
    int64_t renewals = 0;
  };
  void AddEvent(Event event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_events_;
  const size_t max_identities_;
  mutable absl::Mutex mu_;
  std::deque<Event> events_ ABSL_GUARDED_BY(mu_);  // oldest first
  std::map<std::string, Workload> workloads_ ABSL_GUARDED_BY(mu_);
  int64_t issued_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace keel::citadel

#endif  // KEEL_SERVICES_CITADEL_CERTIFICATE_LOG_H_
