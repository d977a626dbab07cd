// keelctl proxy-status / proxy-config: what Pilot sent each connected proxy
// and whether the proxy accepted it, read from Pilot's debug endpoints.
#include <cstdio>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/common/http_client.h"
#include "libs/xds/type_urls.h"
#include "services/keelctl/commands/command.h"
#include "yaml-cpp/yaml.h"

namespace keel::keelctl {
namespace {

constexpr char kDefaultPilot[] = "127.0.0.1:15014";

// Splits "--pilot=ADDR" from the other arguments.
std::string PilotAddress(std::vector<std::string>& args) {
  std::string address = kDefaultPilot;
  std::vector<std::string> rest;
  for (const std::string& arg : args) {
    if (absl::StartsWith(arg, "--pilot=")) {
      address = arg.substr(8);
    } else {
      rest.push_back(arg);
    }
  }
  args = rest;
  return address;
}

absl::StatusOr<YAML::Node> FetchJson(const std::string& address, const std::string& target) {
  // Bounded: a status command must never hang (istio/istio#13492).
  absl::StatusOr<HttpResponse> response = HttpGet(address, target, absl::Seconds(5));
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::NotFoundError(
        absl::StrCat("Pilot answered ", response->status, ": ", response->body));
  }
  try {
    return YAML::Load(response->body);
  } catch (const YAML::Exception& e) {
    return absl::InternalError(absl::StrCat("unreadable answer from Pilot: ", e.msg));
  }
}

const std::map<std::string, std::string>& ShortTypes() {
  static const auto* const kTypes = [] {
    auto* types = new std::map<std::string, std::string>;
    for (const xds::EnvoyType& type : xds::kEnvoyTypes) (*types)[type.type_url] = type.short_name;
    return types;
  }();
  return *kTypes;
}

int RunProxyStatus(const std::vector<std::string>& raw_args, CommandIo& io) {
  std::vector<std::string> args = raw_args;
  const std::string pilot = PilotAddress(args);
  if (!args.empty()) {
    std::fprintf(io.err, "keelctl proxy-status: unexpected argument \"%s\"\n", args[0].c_str());
    return 2;
  }
  absl::StatusOr<YAML::Node> streams = FetchJson(pilot, "/debug/syncz");
  if (!streams.ok()) {
    std::fprintf(io.err, "keelctl proxy-status: %s\n",
                 std::string(streams.status().message()).c_str());
    return 1;
  }
  std::fprintf(io.out, "%-48s %-9s %-9s %-9s %-9s\n", "NAME", "CDS", "LDS", "EDS", "RDS");
  int errors = 0;
  for (const YAML::Node& stream : *streams) {
    std::map<std::string, std::string> status = {
        {"CDS", "NOT SENT"}, {"LDS", "NOT SENT"}, {"EDS", "NOT SENT"}, {"RDS", "NOT SENT"}};
    std::vector<std::string> nacks;
    for (const YAML::Node& type : stream["types"]) {
      auto it = ShortTypes().find(type["type"].as<std::string>());
      if (it == ShortTypes().end()) continue;
      status[it->second] = type["status"].as<std::string>();
      if (status[it->second] == "ERROR") {
        ++errors;
        nacks.push_back(absl::StrCat(it->second, ": ", type["error"].as<std::string>()));
      }
    }
    std::fprintf(io.out, "%-48s %-9s %-9s %-9s %-9s\n", stream["proxy"].as<std::string>().c_str(),
                 status["CDS"].c_str(), status["LDS"].c_str(), status["EDS"].c_str(),
                 status["RDS"].c_str());
    for (const std::string& nack : nacks) std::fprintf(io.out, "    NACK %s\n", nack.c_str());
  }
  return errors > 0 ? 1 : 0;
}

int RunProxyConfig(const std::vector<std::string>& raw_args, CommandIo& io) {
  std::vector<std::string> args = raw_args;
  const std::string pilot = PilotAddress(args);
  static const auto* const kKinds = [] {
    auto* kinds = new std::map<std::string, std::string>;
    for (const xds::EnvoyType& type : xds::kEnvoyTypes) (*kinds)[type.plural] = type.type_url;
    return kinds;
  }();
  if (args.size() != 2 || kKinds->count(args[0]) == 0) {
    std::fprintf(io.err,
                 "usage: keelctl proxy-config listeners|routes|clusters|endpoints PROXY "
                 "[--pilot=HOST:PORT]\n");
    return 2;
  }
  absl::StatusOr<YAML::Node> dump = FetchJson(pilot, "/debug/config_dump?proxyID=" + args[1]);
  if (!dump.ok()) {
    std::fprintf(io.err, "keelctl proxy-config: %s\n",
                 std::string(dump.status().message()).c_str());
    return 1;
  }
  YAML::Emitter out;
  out << (*dump)[kKinds->at(args[0])];
  std::fprintf(io.out, "%s\n", out.c_str());
  return 0;
}

}  // namespace

KEELCTL_REGISTER_COMMAND(proxy_status,
                         Command{
                             .name = "proxy-status",
                             .usage = "keelctl proxy-status [--pilot=HOST:PORT]",
                             .summary = "Per connected proxy and xDS type: SYNCED, NOT SENT, STALE "
                                        "or ERROR (with the NACK); --pilot is Pilot's monitoring "
                                        "address.",
                             .run = RunProxyStatus,
                         });

KEELCTL_REGISTER_COMMAND(
    proxy_config, Command{
                      .name = "proxy-config",
                      .usage = "keelctl proxy-config listeners|routes|clusters|endpoints PROXY "
                               "[--pilot=HOST:PORT]",
                      .summary = "The resources Pilot sent to PROXY.",
                      .run = RunProxyConfig,
                  });

}  // namespace keel::keelctl
