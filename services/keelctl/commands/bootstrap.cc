// keelctl bootstrap: writes the xDS bootstrap JSON a proxyless gRPC
// application reads from $GRPC_XDS_BOOTSTRAP to find Pilot.
#include <cstdio>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/json_writer.h"
#include "services/keelctl/commands/command.h"

namespace keel::keelctl {
namespace {

// Take sets `out` from "--flag=value" and reports whether `arg` was that flag.
bool Take(const std::string& arg, const char* flag, std::string& out) {
  const std::string prefix = absl::StrCat(flag, "=");
  if (!absl::StartsWith(arg, prefix)) return false;
  out = arg.substr(prefix.size());
  return true;
}

int RunBootstrap(const std::vector<std::string>& args, CommandIo& io) {
  std::string pilot = "localhost:15010", node_id, output, cluster = "keel", locality, labels;
  for (const std::string& arg : args) {
    if (!Take(arg, "--pilot", pilot) && !Take(arg, "--node_id", node_id) &&
        !Take(arg, "--output", output) && !Take(arg, "--cluster", cluster) &&
        !Take(arg, "--locality", locality) && !Take(arg, "--labels", labels)) {
      std::fprintf(io.err, "keelctl bootstrap: unexpected argument \"%s\"\n", arg.c_str());
      return 2;
    }
  }
  if (node_id.empty()) {
    std::fprintf(io.err,
                 "keelctl bootstrap: --node_id is required (e.g. "
                 "sidecar~10.0.0.1~echo.default~default.svc.cluster.local)\n");
    return 2;
  }
  std::string region, zone, sub_zone;
  {
    size_t a = locality.find('/');
    region = locality.substr(0, a);
    if (a != std::string::npos) {
      size_t b = locality.find('/', a + 1);
      zone = locality.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
      if (b != std::string::npos) sub_zone = locality.substr(b + 1);
    }
  }
  // node.locality is always present, even empty: some clients require it.
  JsonWriter json;
  json.BeginObject().Key("xds_servers").BeginArray().BeginObject();
  json.Key("server_uri").String(pilot);
  json.Key("channel_creds").BeginArray().BeginObject().Key("type").String("insecure").EndObject();
  json.EndArray().Key("server_features").BeginArray().String("xds_v3").EndArray();
  json.EndObject().EndArray();
  json.Key("node").BeginObject().Key("id").String(node_id).Key("cluster").String(cluster);
  json.Key("locality").BeginObject().Key("region").String(region).Key("zone").String(zone);
  json.Key("sub_zone").String(sub_zone).EndObject();
  if (!labels.empty()) {
    // The workload's labels, as Istio's proxies send them (node metadata
    // LABELS): a Sidecar's workloadSelector selects by them.
    json.Key("metadata").BeginObject().Key("LABELS").BeginObject();
    for (absl::string_view label : absl::StrSplit(labels, ',', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv = absl::StrSplit(label, absl::MaxSplits('=', 1));
      json.Key(kv.first).String(kv.second);
    }
    json.EndObject().EndObject();
  }
  json.EndObject();
  json.Key("server_listener_resource_name_template")
      .String("grpc/server?xds.resource.listening_address=%s")
      .EndObject();
  const std::string text = json.Take();
  if (output.empty()) {
    std::fputs(text.c_str(), io.out);
    return 0;
  }
  std::ofstream out(output);
  out << text;
  if (!out) {
    std::fprintf(io.err, "keelctl bootstrap: cannot write %s\n", output.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

KEELCTL_REGISTER_COMMAND(
    bootstrap, Command{
                   .name = "bootstrap",
                   .usage = "keelctl bootstrap --node_id=ID [--pilot=HOST:PORT] [--output=FILE] "
                            "[--locality=REGION/ZONE/SUBZONE] [--labels=K=V,...]",
                   .summary = "Write the gRPC xDS bootstrap JSON (for GRPC_XDS_BOOTSTRAP).",
                   .run = RunBootstrap,
               });

}  // namespace keel::keelctl
