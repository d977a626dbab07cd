// keelctl describe service HOST / workload NS/NAME: where requests to a
// service go and why, as Pilot works it out from what it serves.
#include "services/keelctl/commands/describe.h"

#include <cctype>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "libs/common/http_client.h"
#include "libs/common/prometheus_query.h"
#include "services/keelctl/commands/command.h"
#include "yaml-cpp/yaml.h"

namespace keel::keelctl {
namespace {

constexpr char kDefaultPilot[] = "127.0.0.1:15014";

std::string Str(const YAML::Node& node) {
  return node.IsDefined() && node.IsScalar() ? node.Scalar() : "";
}

// A JSON object on one line, for matches, retries, faults and policies.
std::string Compact(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "";
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

std::string LabelsText(const YAML::Node& labels) {
  std::vector<std::string> parts;
  for (auto it = labels.begin(); it != labels.end(); ++it) {
    parts.push_back(absl::StrCat(it->first.Scalar(), "=", it->second.Scalar()));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

YAML::Node Parse(const std::string& json) {
  try {
    return YAML::Load(json);
  } catch (const YAML::Exception&) {
    return YAML::Node();
  }
}

}  // namespace

absl::StatusOr<std::string> FormatServiceDescription(const std::string& json) {
  const YAML::Node d = Parse(json);
  if (!d.IsMap() || !d["host"].IsDefined()) return absl::InvalidArgumentError("not a description");
  std::string out = absl::StrCat("Service: ", Str(d["host"]), " (namespace ",
                                 Str(d["serviceNamespace"]), "), as proxies in namespace \"",
                                 Str(d["viewedFrom"]), "\" see it\n");
  std::vector<std::string> ports;
  for (const YAML::Node& port : d["ports"]) {
    ports.push_back(absl::StrCat(Str(port["number"]), "/", Str(port["name"]), " (",
                                 Str(port["protocol"]), ")"));
  }
  absl::StrAppend(&out, "  Ports: ", absl::StrJoin(ports, ", "), "\n");
  if (Str(d["visible"]) == "false") {
    absl::StrAppend(&out, "  NOT VISIBLE from namespace \"", Str(d["viewedFrom"]),
                    "\" (the service's exportTo or the namespace's Sidecar): its proxies cannot "
                    "call it\n");
  }
  absl::StrAppend(&out, "VirtualService: ",
                  d["virtualService"].IsNull() ? "none (the default route)" : Str(d["virtualService"]),
                  "\n");
  int index = 0;
  for (const YAML::Node& route : d["routes"]) {
    ++index;
    std::vector<std::string> matches;
    for (const YAML::Node& match : route["match"]) matches.push_back(Compact(match));
    absl::StrAppend(&out, "  Route ", index, Str(route["name"]).empty() ? "" : " \"" + Str(route["name"]) + "\"",
                    matches.empty() ? " (every request)" : absl::StrCat(" when ", absl::StrJoin(matches, " or ")),
                    "\n");
    for (const YAML::Node& destination : route["destinations"]) {
      absl::StrAppend(&out, "    ", Str(destination["weight"]), "% -> ", Str(destination["host"]),
                      Str(destination["subset"]).empty() ? "" : " subset " + Str(destination["subset"]),
                      Str(destination["port"]) == "0" ? "" : " port " + Str(destination["port"]), "\n");
      for (const YAML::Node& endpoint : destination["endpoints"]) {
        absl::StrAppend(&out, "        ", Str(endpoint["address"]), ":", Str(endpoint["port"]), " ",
                        LabelsText(endpoint["labels"]),
                        Str(endpoint["locality"]).empty() ? "" : " " + Str(endpoint["locality"]), "\n");
      }
      if (!Str(destination["problem"]).empty()) {
        absl::StrAppend(&out, "        PROBLEM: ", Str(destination["problem"]), "\n");
      }
    }
    if (!Str(route["timeout"]).empty()) absl::StrAppend(&out, "    Timeout: ", Str(route["timeout"]), "\n");
    if (!Compact(route["retries"]).empty()) {
      absl::StrAppend(&out, "    Retries: ", Compact(route["retries"]), "\n");
    }
    if (!Compact(route["fault"]).empty()) absl::StrAppend(&out, "    Fault: ", Compact(route["fault"]), "\n");
  }
  for (const YAML::Node& shadowed : d["shadowed"]) {
    absl::StrAppend(&out, "  Not applied: ", Str(shadowed["name"]), ": ", Str(shadowed["reason"]), "\n");
  }
  const YAML::Node rule = d["destinationRule"];
  if (rule.IsNull() || !rule.IsDefined()) {
    absl::StrAppend(&out, "DestinationRule: none\n");
  } else {
    absl::StrAppend(&out, "DestinationRule: ", Str(rule["name"]), "\n");
    if (!Compact(rule["trafficPolicy"]).empty()) {
      absl::StrAppend(&out, "  Traffic policy: ", Compact(rule["trafficPolicy"]), "\n");
    }
    for (const YAML::Node& subset : rule["subsets"]) {
      absl::StrAppend(&out, "  Subset ", Str(subset["name"]), " ", LabelsText(subset["labels"]),
                      Compact(subset["trafficPolicy"]).empty() ? "" : " " + Compact(subset["trafficPolicy"]),
                      "\n");
    }
    if (!Str(rule["clientTls"]).empty()) {
      absl::StrAppend(&out, "  Client TLS: ", Str(rule["clientTls"]), "\n");
    }
  }
  absl::StrAppend(&out, "Servers:\n");
  if (d["servers"].size() == 0) absl::StrAppend(&out, "  none (no endpoints)\n");
  for (const YAML::Node& server : d["servers"]) {
    std::vector<std::string> policies;
    for (const YAML::Node& policy : server["authorizationPolicies"]) {
      policies.push_back(absl::StrCat(Str(policy["name"]), " (", Str(policy["action"]), ")"));
    }
    absl::StrAppend(&out, "  ", Str(server["address"]), ":", Str(server["port"]), " {",
                    Str(server["labels"]), "} mTLS ", Str(server["mtls"]),
                    policies.empty() ? "" : "; authorization: " + absl::StrJoin(policies, ", "), "\n");
  }
  absl::StrAppend(&out, "Proxies subscribed: ", d["subscribers"].size(), "\n");
  for (const YAML::Node& subscriber : d["subscribers"]) {
    absl::StrAppend(&out, "  ", Str(subscriber["proxy"]), " ", Str(subscriber["status"]),
                    Str(subscriber["nack"]).empty() ? "" : ": " + Str(subscriber["nack"]), "\n");
  }
  return out;
}

absl::StatusOr<std::string> FormatWorkloadDescription(const std::string& json) {
  const YAML::Node d = Parse(json);
  if (!d.IsMap() || !d["workload"].IsDefined()) return absl::InvalidArgumentError("not a description");
  std::string out = absl::StrCat("Workload: ", Str(d["workload"]), " at ", Str(d["address"]),
                                 Str(d["locality"]).empty() ? "" : " in " + Str(d["locality"]), " ",
                                 LabelsText(d["labels"]), "\n");
  for (const YAML::Node& service : d["services"]) {
    absl::StrAppend(&out, "  Serves ", Str(service["host"]), "\n");
    for (const YAML::Node& port : service["ports"]) {
      absl::StrAppend(&out, "    port ", Str(port["number"]), "/", Str(port["name"]), " on ",
                      Str(port["targetPort"]), ": mTLS ", Str(port["mtls"]), "\n");
    }
  }
  std::vector<std::string> policies;
  for (const YAML::Node& policy : d["authorizationPolicies"]) {
    policies.push_back(absl::StrCat(Str(policy["name"]), " (", Str(policy["action"]), ")"));
  }
  absl::StrAppend(&out, "  Authorization: ", policies.empty() ? "none (every caller allowed)" : absl::StrJoin(policies, ", "),
                  "\n");
  return out;
}

namespace {

// LiveTraffic: each version's request rate and error share over the last
// minute, from Mixer's standard metric in Prometheus (as Kiali reads it),
// named by the DestinationRule subset that selects the version.
std::string LiveTraffic(const std::string& prometheus, const YAML::Node& description) {
  absl::StatusOr<std::vector<MeshRequestRate>> rates =
      MeshRequestRates(prometheus, Str(description["host"]));
  if (!rates.ok()) return absl::StrCat("Live traffic: ", rates.status().message(), "\n");
  std::map<std::string, std::string> subset_of_version;
  for (const YAML::Node& subset : description["destinationRule"]["subsets"]) {
    const std::string version = Str(subset["labels"]["version"]);
    if (!version.empty()) subset_of_version[version] = Str(subset["name"]);
  }
  std::string out = "Live traffic (Prometheus, last minute):\n";
  if (rates->empty()) absl::StrAppend(&out, "  no requests reported\n");
  for (const MeshRequestRate& rate : *rates) {
    auto subset = subset_of_version.find(rate.version);
    absl::StrAppend(
        &out, "  version ", rate.version,
        subset == subset_of_version.end() ? "" : " (subset " + subset->second + ")", ": ",
        absl::StrFormat("%.2f/s, %.0f%% errors", rate.per_second,
                        rate.per_second > 0 ? 100 * rate.errors_per_second / rate.per_second : 0),
        "\n");
  }
  return out;
}

int RunDescribe(const std::vector<std::string>& raw_args, CommandIo& io) {
  std::string pilot = kDefaultPilot, ns = "default", output = "text", prometheus;
  std::vector<std::string> args;
  for (size_t i = 0; i < raw_args.size(); ++i) {
    const std::string& arg = raw_args[i];
    if (absl::StartsWith(arg, "--pilot=")) {
      pilot = arg.substr(8);
    } else if (absl::StartsWith(arg, "--prometheus=")) {
      prometheus = arg.substr(13);
    } else if (absl::StartsWith(arg, "--namespace=")) {
      ns = arg.substr(12);
    } else if ((arg == "--namespace" || arg == "-n") && i + 1 < raw_args.size()) {
      ns = raw_args[++i];
    } else if (arg == "-o" && i + 1 < raw_args.size()) {
      output = raw_args[++i];
    } else if (absl::StartsWith(arg, "-o=") || absl::StartsWith(arg, "--output=")) {
      output = arg.substr(arg.find('=') + 1);
    } else {
      args.push_back(arg);
    }
  }
  const bool service = args.size() == 2 && args[0] == "service";
  const bool workload = args.size() == 2 && args[0] == "workload" && absl::StrContains(args[1], "/");
  if ((!service && !workload) || (output != "text" && output != "json")) {
    std::fprintf(io.err,
                 "usage: keelctl describe service HOST [--namespace=NS] [-o json] [--pilot=HOST:PORT]\n"
                 "                                     [--prometheus=HOST:PORT]\n"
                 "       keelctl describe workload NAMESPACE/NAME [-o json] [--pilot=HOST:PORT]\n");
    return 2;
  }
  const std::string target =
      service ? absl::StrCat("/debug/describe?service=", args[1], "&namespace=", ns)
              : absl::StrCat("/debug/describe?workload=", args[1]);
  // Bounded: a status command must never hang.
  absl::StatusOr<HttpResponse> response = HttpGet(pilot, target, absl::Seconds(10));
  if (!response.ok()) {
    std::fprintf(io.err, "keelctl describe: %s\n", std::string(response.status().message()).c_str());
    return 1;
  }
  if (response->status != 200) {
    const YAML::Node answer = Parse(response->body);
    if (answer.IsMap() && answer["errors"].IsSequence()) {
      for (const YAML::Node& error : answer["errors"]) {
        std::fprintf(io.err, "keelctl describe: %s\n", error.Scalar().c_str());
      }
    } else {
      std::fprintf(io.err, "keelctl describe: Pilot answered %d: %s\n", response->status,
                   response->body.c_str());
    }
    return 1;
  }
  if (output == "json") {
    std::fprintf(io.out, "%s\n", response->body.c_str());
    return 0;
  }
  absl::StatusOr<std::string> text = service ? FormatServiceDescription(response->body)
                                             : FormatWorkloadDescription(response->body);
  if (!text.ok()) {
    std::fprintf(io.err, "keelctl describe: unreadable answer from Pilot\n");
    return 1;
  }
  std::fputs(text->c_str(), io.out);
  if (service && !prometheus.empty()) {
    std::fputs(LiveTraffic(prometheus, Parse(response->body)).c_str(), io.out);
  }
  return 0;
}

}  // namespace

KEELCTL_REGISTER_COMMAND(
    describe,
    Command{
        .name = "describe",
        .usage = "keelctl describe service HOST [--namespace=NS] [-o json] [--prometheus=ADDR] | "
                 "workload NS/NAME",
        .summary = "Where requests to a service go and why: the VirtualService that applies (and "
                   "those it shadows), routes, endpoints, policies, mTLS and the proxies' sync "
                   "state; --pilot is Pilot's monitoring address.",
        .run = RunDescribe,
    });

}  // namespace keel::keelctl
