#include "libs/common/prometheus_query.h"

#include <cctype>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/common/http_client.h"
#include "yaml-cpp/yaml.h"

namespace keel {
namespace {

std::string QueryEscape(absl::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, absl::StrFormat("%%%02X", c));
    }
  }
  return out;
}

std::string Scalar(const YAML::Node& node) {
  return node.IsDefined() && node.IsScalar() ? node.Scalar() : "";
}

// A PromQL string literal's content: backslashes and quotes escaped.
std::string Quoted(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// (destination_service, destination_version) of a sample; "" where absent.
std::pair<std::string, std::string> DestinationOf(const PromSample& sample) {
  auto label = [&](const char* name) {
    auto it = sample.labels.find(name);
    return it == sample.labels.end() ? std::string() : it->second;
  };
  return {label("destination_service"), label("destination_version")};
}

}  // namespace

absl::StatusOr<std::vector<PromSample>> PrometheusInstantQuery(const std::string& address,
                                                               absl::string_view query) {
  absl::StatusOr<HttpResponse> response =
      HttpGet(address, "/api/v1/query?query=" + QueryEscape(query), absl::Seconds(10));
  if (!response.ok()) return response.status();
  YAML::Node answer;
  try {
    answer = YAML::Load(response->body);  // JSON is YAML
  } catch (const YAML::Exception&) {
  }
  if (response->status != 200 || Scalar(answer["status"]) != "success") {
    return absl::UnavailableError(absl::StrCat("Prometheus at ", address, " answered ",
                                               response->status, ": ",
                                               response->body.substr(0, 200)));
  }
  std::vector<PromSample> samples;
  for (const YAML::Node& series : answer["data"]["result"]) {
    PromSample sample;
    const YAML::Node value = series["value"];  // [time, "value"]
    if (!value.IsSequence() || value.size() != 2 ||
        !absl::SimpleAtod(Scalar(value[1]), &sample.value)) {
      continue;
    }
    for (auto it = series["metric"].begin(); it != series["metric"].end(); ++it) {
      sample.labels[it->first.Scalar()] = Scalar(it->second);
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

absl::StatusOr<std::vector<MeshRequestRate>> MeshRequestRates(const std::string& address,
                                                              absl::string_view service) {
  // Each request is reported by both ends; the server's report counts.
  std::string selector = "reporter=\"destination\"";
  if (!service.empty())
    absl::StrAppend(&selector, ",destination_service=\"", Quoted(service), "\"");
  const std::string by = "sum by (destination_service, destination_version) ";
  auto rate = [](const std::string& matchers) {
    return absl::StrCat("rate(istio_requests_total{", matchers, "}[1m])");
  };
  absl::StatusOr<std::vector<PromSample>> totals =
      PrometheusInstantQuery(address, absl::StrCat(by, "(", rate(selector), ")"));
  if (!totals.ok()) return totals.status();
  // A series failed either way is one series on both sides of `or`, so it
  // counts once.
  absl::StatusOr<std::vector<PromSample>> failed = PrometheusInstantQuery(
      address, absl::StrCat(by, "(", rate(selector + ",response_code=~\"5..\""), " or ",
                            rate(selector + ",grpc_response_status!~\"0|\""), ")"));
  if (!failed.ok()) return failed.status();
  std::map<std::pair<std::string, std::string>, MeshRequestRate> rates;
  for (const PromSample& sample : *totals) {
    MeshRequestRate& entry = rates[DestinationOf(sample)];
    std::tie(entry.service, entry.version) = DestinationOf(sample);
    entry.per_second = sample.value;
  }
  for (const PromSample& sample : *failed) {
    auto it = rates.find(DestinationOf(sample));
    if (it != rates.end()) it->second.errors_per_second = sample.value;
  }
  std::vector<MeshRequestRate> out;
  for (auto& [key, entry] : rates) out.push_back(std::move(entry));
  return out;
}

}  // namespace keel
