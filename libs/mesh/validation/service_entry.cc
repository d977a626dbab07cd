// Validators for networking.istio.io ServiceEntry and WorkloadEntry.
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/mesh/validation/field_path.h"
#include "libs/mesh/validation/rules.h"
#include "libs/mesh/validation/validators.h"
#include "proto/istio/networking/v1alpha3/service_entry.pb.h"
#include "proto/istio/networking/v1alpha3/workload_entry.pb.h"

namespace keel::mesh::validation {

namespace net = ::istio::networking::v1alpha3;

void ValidateServiceEntry(const Resource& resource, FieldErrors& errors) {
  const auto& se = resource.SpecAs<net::ServiceEntry>();
  if (se.hosts_size() == 0) errors.Error("spec.hosts", "service entry must have at least one host");
  for (int i = 0; i < se.hosts_size(); ++i) {
    const std::string& host = se.hosts(i);
    if (host == "*") {
      errors.Error(At("spec.hosts", i), "invalid host *");
      continue;
    }
    Check(errors, At("spec.hosts", i), CheckWildcardDomain(host));
  }
  for (int i = 0; i < se.addresses_size(); ++i) {
    Check(errors, At("spec.addresses", i), CheckIpOrCidr(se.addresses(i)));
  }
  std::set<uint32_t> port_numbers;
  std::set<std::string> port_names;
  for (int i = 0; i < se.ports_size(); ++i) {
    const auto& port = se.ports(i);
    const std::string field = At("spec.ports", i);
    Check(errors, Dot(field, "number"), CheckPort(port.number()));
    if (port.target_port() != 0)
      Check(errors, Dot(field, "targetPort"), CheckPort(port.target_port()));
    if (port.name().empty()) {
      errors.Error(Dot(field, "name"), "port name must be set");
    } else if (!port_names.insert(port.name()).second) {
      errors.Error(Dot(field, "name"), absl::StrCat("duplicate port name \"", port.name(), "\""));
    }
    if (!port_numbers.insert(port.number()).second) {
      errors.Error(Dot(field, "number"), absl::StrCat("duplicate port number ", port.number()));
    }
  }
  const bool has_selector = se.has_workload_selector();
  if (has_selector && se.endpoints_size() > 0) {
    errors.Error("spec.workloadSelector",
                 "only one of workloadSelector or endpoints is allowed in service entry");
  }
  if (has_selector) {
    Check(errors, "spec.workloadSelector.labels",
          CheckLabels(std::map<std::string, std::string>(se.workload_selector().labels().begin(),
                                                         se.workload_selector().labels().end())));
  }
  switch (se.resolution()) {
    case net::ServiceEntry::NONE:
      if (se.endpoints_size() > 0) {
        errors.Error("spec.endpoints", "no endpoints should be provided for resolution type none");
      }
      break;
    case net::ServiceEntry::STATIC:
      if (se.endpoints_size() == 0 && !has_selector) {
        errors.Warning("spec.endpoints", "no endpoints provided for resolution type STATIC");
      }
      for (int i = 0; i < se.endpoints_size(); ++i) {
        const std::string& address = se.endpoints(i).address();
        if (!absl::StartsWith(address, "unix://") && !CheckIp(address).empty()) {
          errors.Error(
              At("spec.endpoints", i) + ".address",
              absl::StrCat("endpoint address \"", address, "\" is not a valid IP address"));
        }
      }
      break;
    case net::ServiceEntry::DNS:
    case net::ServiceEntry::DNS_ROUND_ROBIN:
      if (se.endpoints_size() == 0) {
        for (int i = 0; i < se.hosts_size(); ++i) {
          if (absl::StrContains(se.hosts(i), "*")) {
            errors.Error(At("spec.hosts", i),
                         "wildcard host not allowed with DNS resolution without endpoints");
          }
        }
      }
      for (int i = 0; i < se.endpoints_size(); ++i) {
        const std::string& address = se.endpoints(i).address();
        if (!CheckIp(address).empty())
          Check(errors, At("spec.endpoints", i) + ".address", CheckFqdn(address));
      }
      break;
    default:
      break;
  }
  for (int i = 0; i < se.endpoints_size(); ++i) {
    const auto& endpoint = se.endpoints(i);
    const std::string field = At("spec.endpoints", i);
    Check(errors, Dot(field, "labels"),
          CheckLabels(std::map<std::string, std::string>(endpoint.labels().begin(),
                                                         endpoint.labels().end())));
    for (const auto& [name, number] : endpoint.ports()) {
      if (port_names.count(name) == 0) {
        errors.Error(
            absl::StrCat(field, ".ports[\"", name, "\"]"),
            absl::StrCat("endpoint port \"", name, "\" is not defined by the service entry"));
      }
      Check(errors, absl::StrCat(field, ".ports[\"", name, "\"]"), CheckPort(number));
    }
  }
  Check(errors, "spec.exportTo", CheckExportTo(se.export_to()));
}

void ValidateWorkloadEntry(const Resource& resource, FieldErrors& errors) {
  const auto& we = resource.SpecAs<net::WorkloadEntry>();
  if (we.address().empty()) {
    if (we.network().empty()) errors.Error("spec.address", "address is required");
  } else if (!absl::StartsWith(we.address(), "unix://") && !CheckIp(we.address()).empty()) {
    Check(errors, "spec.address", CheckFqdn(we.address()));
  }
  Check(errors, "spec.labels",
        CheckLabels(std::map<std::string, std::string>(we.labels().begin(), we.labels().end())));
  for (const auto& [name, number] : we.ports()) {
    Check(errors, absl::StrCat("spec.ports[\"", name, "\"]"), CheckPort(number));
  }
  if (!we.service_account().empty() && !IsDns1123Subdomain(we.service_account())) {
    errors.Error("spec.serviceAccount",
                 absl::StrCat("invalid service account \"", we.service_account(), "\""));
  }
}

}  // namespace keel::mesh::validation
