// Validator for networking.istio.io DestinationRule.
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/mesh/validation/field_path.h"
#include "libs/mesh/validation/rules.h"
#include "libs/mesh/validation/validators.h"
#include "proto/istio/networking/v1alpha3/destination_rule.pb.h"

namespace keel::mesh::validation {

namespace net = ::istio::networking::v1alpha3;

namespace {

void ValidateLoadBalancer(const net::LoadBalancerSettings& lb, const std::string& field,
                          FieldErrors& errors) {
  if (lb.lb_policy_case() == net::LoadBalancerSettings::kConsistentHash) {
    const auto& hash = lb.consistent_hash();
    const std::string base = Dot(field, "consistentHash");
    switch (hash.hash_key_case()) {
      case net::LoadBalancerSettings::ConsistentHashLB::kHttpHeaderName:
        Check(errors, Dot(base, "httpHeaderName"),
              CheckHeaderName(absl::AsciiStrToLower(hash.http_header_name())));
        break;
      case net::LoadBalancerSettings::ConsistentHashLB::kHttpCookie:
        if (hash.http_cookie().name().empty())
          errors.Error(Dot(base, "httpCookie.name"), "name required for HttpCookie");
        break;
      case net::LoadBalancerSettings::ConsistentHashLB::kHttpQueryParameterName:
        if (hash.http_query_parameter_name().empty()) {
          errors.Error(Dot(base, "httpQueryParameterName"), "query parameter name required");
        }
        break;
      case net::LoadBalancerSettings::ConsistentHashLB::HASH_KEY_NOT_SET:
        break;
      default:
        break;
    }
    if (hash.minimum_ring_size() > 0 && (hash.has_ring_hash() || hash.has_maglev())) {
      errors.Error(Dot(base, "minimumRingSize"),
                   "only one of MinimumRingSize or Maglev/Ringhash can be specified");
    }
  }
  if (lb.has_locality_lb_setting()) {
    const auto& locality = lb.locality_lb_setting();
    for (int i = 0; i < locality.distribute_size(); ++i) {
      uint32_t total = 0;
      for (const auto& [to, weight] : locality.distribute(i).to()) {
        if (weight == 0 || weight > 100) {
          errors.Error(At(field + ".localityLbSetting.distribute", i) + ".to",
                       "locality weight must be in range [1, 100]");
        }
        total += weight;
      }
      if (total != 100) {
        errors.Error(At(field + ".localityLbSetting.distribute", i) + ".to",
                     absl::StrCat("total locality weight ", total, " != 100"));
      }
    }
    if (locality.distribute_size() > 0 && locality.failover_size() > 0) {
      errors.Error(Dot(field, "localityLbSetting"),
                   "can not simultaneously specify 'distribute' and 'failover'");
    }
  }
}

void ValidateTrafficPolicy(const net::TrafficPolicy& policy, const std::string& field,
                           FieldErrors& errors) {
  if (policy.has_load_balancer())
    ValidateLoadBalancer(policy.load_balancer(), Dot(field, "loadBalancer"), errors);
  if (policy.has_connection_pool()) {
    const auto& pool = policy.connection_pool();
    const std::string base = Dot(field, "connectionPool");
    if (pool.has_http()) {
      const auto& http = pool.http();
      if (http.http1_max_pending_requests() < 0)
        errors.Error(Dot(base, "http.http1MaxPendingRequests"),
                     "http1 max pending requests must be non-negative");
      if (http.http2_max_requests() < 0)
        errors.Error(Dot(base, "http.http2MaxRequests"), "http2 max requests must be non-negative");
      if (http.max_requests_per_connection() < 0)
        errors.Error(Dot(base, "http.maxRequestsPerConnection"),
                     "max requests per connection must be non-negative");
      if (http.max_retries() < 0)
        errors.Error(Dot(base, "http.maxRetries"), "max retries must be non-negative");
      if (http.has_idle_timeout())
        Check(errors, Dot(base, "http.idleTimeout"), CheckDuration(http.idle_timeout()));
    }
    if (pool.has_tcp()) {
      const auto& tcp = pool.tcp();
      if (tcp.max_connections() < 0)
        errors.Error(Dot(base, "tcp.maxConnections"), "max connections must be non-negative");
      if (tcp.has_connect_timeout())
        Check(errors, Dot(base, "tcp.connectTimeout"), CheckDuration(tcp.connect_timeout()));
    }
  }
  if (policy.has_outlier_detection()) {
    const auto& outlier = policy.outlier_detection();
    const std::string base = Dot(field, "outlierDetection");
    if (outlier.consecutive_errors() != 0) {
      errors.Warning(Dot(base, "consecutiveErrors"),
                     "outlier detection consecutive errors is deprecated, use "
                     "consecutiveGatewayErrors or consecutive5xxErrors instead");
    }
    if (outlier.has_interval())
      Check(errors, Dot(base, "interval"), CheckDuration(outlier.interval()));
    if (outlier.has_base_ejection_time())
      Check(errors, Dot(base, "baseEjectionTime"), CheckDuration(outlier.base_ejection_time()));
    if (outlier.max_ejection_percent() < 0 || outlier.max_ejection_percent() > 100) {
      errors.Error(
          Dot(base, "maxEjectionPercent"),
          absl::StrCat("percentage ", outlier.max_ejection_percent(), " is not in range 0..100"));
    }
    if (outlier.min_health_percent() < 0 || outlier.min_health_percent() > 100) {
      errors.Error(
          Dot(base, "minHealthPercent"),
          absl::StrCat("percentage ", outlier.min_health_percent(), " is not in range 0..100"));
    }
  }
  if (policy.has_tls()) {
    const auto& tls = policy.tls();
    const std::string base = Dot(field, "tls");
    if (tls.mode() == net::ClientTLSSettings::MUTUAL && tls.credential_name().empty()) {
      if (tls.client_certificate().empty())
        errors.Error(Dot(base, "clientCertificate"), "client certificate required for mutual tls");
      if (tls.private_key().empty())
        errors.Error(Dot(base, "privateKey"), "private key required for mutual tls");
    }
    if (tls.mode() == net::ClientTLSSettings::ISTIO_MUTUAL ||
        tls.mode() == net::ClientTLSSettings::DISABLE) {
      if (!tls.ca_certificates().empty() || !tls.client_certificate().empty() ||
          !tls.private_key().empty() || !tls.credential_name().empty()) {
        errors.Error(base, "cannot specify certificates or credentialName with mode " +
                               net::ClientTLSSettings::TLSmode_Name(tls.mode()));
      }
    }
  }
  for (int i = 0; i < policy.port_level_settings_size(); ++i) {
    const auto& port_policy = policy.port_level_settings(i);
    const std::string base = At(field + ".portLevelSettings", i);
    if (!port_policy.has_port()) {
      errors.Error(Dot(base, "port"), "portTrafficPolicy must have valid port");
    } else {
      Check(errors, Dot(base, "port.number"), CheckPort(port_policy.port().number()));
    }
    if (port_policy.has_load_balancer())
      ValidateLoadBalancer(port_policy.load_balancer(), Dot(base, "loadBalancer"), errors);
  }
}

}  // namespace

void ValidateDestinationRule(const Resource& resource, FieldErrors& errors) {
  const auto& dr = resource.SpecAs<net::DestinationRule>();
  if (dr.host().empty()) {
    errors.Error("spec.host", "host is required");
  } else {
    Check(errors, "spec.host", CheckWildcardDomain(dr.host()));
  }
  if (dr.has_traffic_policy())
    ValidateTrafficPolicy(dr.traffic_policy(), "spec.trafficPolicy", errors);
  std::set<std::string> names;
  for (int i = 0; i < dr.subsets_size(); ++i) {
    const auto& subset = dr.subsets(i);
    const std::string field = At("spec.subsets", i);
    if (subset.name().empty()) {
      errors.Error(Dot(field, "name"), "subset name cannot be empty");
    } else if (!IsDns1123Label(subset.name())) {
      errors.Error(Dot(field, "name"), absl::StrCat("subset name is invalid: ", subset.name()));
    } else if (!names.insert(subset.name()).second) {
      errors.Error(Dot(field, "name"), absl::StrCat("duplicate subset names: ", subset.name()));
    }
    Check(errors, Dot(field, "labels"),
          CheckLabels(
              std::map<std::string, std::string>(subset.labels().begin(), subset.labels().end())));
    if (subset.has_traffic_policy())
      ValidateTrafficPolicy(subset.traffic_policy(), Dot(field, "trafficPolicy"), errors);
  }
  Check(errors, "spec.exportTo", CheckExportTo(dr.export_to()));
  if (dr.has_workload_selector()) {
    Check(errors, "spec.workloadSelector.matchLabels",
          CheckLabels(
              std::map<std::string, std::string>(dr.workload_selector().match_labels().begin(),
                                                 dr.workload_selector().match_labels().end())));
  }
}

}  // namespace keel::mesh::validation
