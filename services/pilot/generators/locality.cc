#include "services/pilot/generators/locality.h"

#include <map>
#include <vector>

#include "absl/strings/str_split.h"

namespace keel::pilot {
namespace {

using envoy::config::core::v3::Locality;

Locality ParseLocality(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  Locality locality;
  if (parts.size() > 0) locality.set_region(parts[0]);
  if (parts.size() > 1) locality.set_zone(parts[1]);
  if (parts.size() > 2) locality.set_sub_zone(parts[2]);
  return locality;
}

// Istio's LbPriority: 0 same region/zone/subzone, 1 same region/zone, 2
// same region, 3 elsewhere.
int Closeness(const Locality& proxy, const Locality& endpoints) {
  if (proxy.region() != endpoints.region()) return 3;
  if (proxy.zone() != endpoints.zone()) return 2;
  if (proxy.sub_zone() != endpoints.sub_zone()) return 1;
  return 0;
}

}  // namespace

bool LocalityMatches(const std::string& pattern, const Locality& locality) {
  std::vector<std::string> parts = absl::StrSplit(pattern, '/');
  const std::string* values[] = {&locality.region(), &locality.zone(), &locality.sub_zone()};
  for (size_t i = 0; i < parts.size() && i < 3; ++i) {
    if (parts[i] == "*") return true;
    if (parts[i] != *values[i]) return false;
  }
  return true;
}

void ApplyLocalityLb(const istio::networking::v1alpha3::LocalityLoadBalancerSetting& setting,
                     bool failover_enabled, const std::string& proxy_locality,
                     envoy::config::endpoint::v3::ClusterLoadAssignment& assignment) {
  const Locality proxy = ParseLocality(proxy_locality);
  for (const auto& distribute : setting.distribute()) {
    if (!LocalityMatches(distribute.from(), proxy)) continue;
    // Each destination's share splits evenly among the localities it
    // matches; a locality no destination names gets nothing.
    std::vector<uint32_t> weights(assignment.endpoints_size(), 0);
    for (const auto& [to, share] : distribute.to()) {
      std::vector<int> matched;
      for (int i = 0; i < assignment.endpoints_size(); ++i) {
        if (LocalityMatches(to, assignment.endpoints(i).locality())) matched.push_back(i);
      }
      for (int i : matched) weights[i] += share / static_cast<uint32_t>(matched.size());
    }
    auto* endpoints = assignment.mutable_endpoints();
    for (int i = endpoints->size() - 1; i >= 0; --i) {
      if (weights[i] == 0) {
        endpoints->DeleteSubrange(i, 1);  // weight 0 is not valid xDS: leave it out
      } else {
        endpoints->Mutable(i)->mutable_load_balancing_weight()->set_value(weights[i]);
      }
    }
    return;  // the first matching `from` applies
  }
  if (!failover_enabled) return;
  std::map<int, std::vector<int>> by_priority;
  for (int i = 0; i < assignment.endpoints_size(); ++i) {
    const Locality& locality = assignment.endpoints(i).locality();
    int priority = Closeness(proxy, locality);
    if (priority == 3) {
      for (const auto& failover : setting.failover()) {
        if (failover.from() == proxy.region()) {
          if (locality.region() != failover.to()) priority = 4;
          break;
        }
      }
    }
    by_priority[priority].push_back(i);
  }
  // Priorities must be consecutive from 0.
  uint32_t next = 0;
  for (const auto& [priority, indexes] : by_priority) {
    for (int i : indexes) assignment.mutable_endpoints(i)->set_priority(next);
    ++next;
  }
}

}  // namespace keel::pilot
