// Validator for networking.istio.io Sidecar.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/mesh/validation/field_path.h"
#include "libs/mesh/validation/rules.h"
#include "libs/mesh/validation/validators.h"
#include "proto/istio/networking/v1alpha3/sidecar.pb.h"

namespace keel::mesh::validation {

namespace net = ::istio::networking::v1alpha3;

void ValidateSidecar(const Resource& resource, FieldErrors& errors) {
  const auto& sidecar = resource.SpecAs<net::Sidecar>();
  if (sidecar.has_workload_selector()) {
    if (sidecar.workload_selector().labels().empty()) {
      errors.Error("spec.workloadSelector.labels",
                   "sidecar: workloadSelector cannot have empty labels");
    }
    Check(errors, "spec.workloadSelector.labels",
          CheckLabels(
              std::map<std::string, std::string>(sidecar.workload_selector().labels().begin(),
                                                 sidecar.workload_selector().labels().end())));
  }
  if (sidecar.egress_size() == 0) errors.Error("spec.egress", "sidecar: missing egress");
  bool catch_all = false;
  for (int i = 0; i < sidecar.egress_size(); ++i) {
    const auto& egress = sidecar.egress(i);
    const std::string field = At("spec.egress", i);
    if (!egress.has_port()) {
      if (catch_all)
        errors.Error(field, "sidecar: the egress listener with empty port should be the only one");
      catch_all = true;
    } else {
      Check(errors, Dot(field, "port.number"), CheckPort(egress.port().number()));
    }
    if (egress.hosts_size() == 0)
      errors.Error(Dot(field, "hosts"), "sidecar: egress listener must contain at least one host");
    for (int j = 0; j < egress.hosts_size(); ++j) {
      Check(errors, At(field + ".hosts", j),
            CheckNamespacedHost(egress.hosts(j), /*gateway=*/false));
    }
  }
  for (int i = 0; i < sidecar.ingress_size(); ++i) {
    const auto& ingress = sidecar.ingress(i);
    const std::string field = At("spec.ingress", i);
    if (!ingress.has_port()) {
      errors.Error(Dot(field, "port"), "sidecar: port is required for ingress listeners");
    } else {
      Check(errors, Dot(field, "port.number"), CheckPort(ingress.port().number()));
    }
  }
}

}  // namespace keel::mesh::validation
