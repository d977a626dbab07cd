#include "libs/xds/bootstrap.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/json_writer.h"
#include "libs/common/net.h"

namespace keel::xds {

absl::StatusOr<std::string> BootstrapJson(const BootstrapOptions& options) {
  if (options.node_id.empty()) {
    return absl::InvalidArgumentError(
        "a node id is required (e.g. sidecar~10.0.0.1~echo.default~default.svc.cluster.local)");
  }
  std::vector<std::string> locality = absl::StrSplit(options.locality, absl::MaxSplits('/', 2));
  locality.resize(3);
  JsonWriter json;
  json.BeginObject().Key("xds_servers").BeginArray().BeginObject();
  // Several Pilot replicas ("a:15010,b:15010"): one target gRPC fails over across.
  json.Key("server_uri").String(GrpcTargetFor(options.server_uri));
  json.Key("channel_creds").BeginArray().BeginObject().Key("type").String("insecure").EndObject();
  json.EndArray().Key("server_features").BeginArray().String("xds_v3").EndArray();
  json.EndObject().EndArray();
  json.Key("node").BeginObject().Key("id").String(options.node_id);
  json.Key("cluster").String(options.cluster);
  // node.locality is always present, even empty: some clients require it.
  json.Key("locality").BeginObject().Key("region").String(locality[0]);
  json.Key("zone").String(locality[1]).Key("sub_zone").String(locality[2]).EndObject();
  if (!options.labels.empty()) {
    // The workload's labels, as Istio's proxies send them (node metadata
    // LABELS): a Sidecar's workloadSelector selects by them.
    json.Key("metadata").BeginObject().Key("LABELS").BeginObject();
    for (const auto& [key, value] : options.labels) json.Key(key).String(value);
    json.EndObject().EndObject();
  }
  json.EndObject();
  if (!options.certificate_dir.empty()) {
    json.Key("certificate_providers").BeginObject().Key(kCertificateProviderInstance);
    json.BeginObject().Key("plugin_name").String("file_watcher").Key("config").BeginObject();
    json.Key("certificate_file").String(options.certificate_dir + "/cert-chain.pem");
    json.Key("private_key_file").String(options.certificate_dir + "/key.pem");
    json.Key("ca_certificate_file").String(options.certificate_dir + "/root-cert.pem");
    json.Key("refresh_interval")
        .String(absl::StrCat(absl::ToInt64Seconds(options.certificate_refresh), "s"));
    json.EndObject().EndObject().EndObject();
  }
  json.Key("server_listener_resource_name_template")
      .String("grpc/server?xds.resource.listening_address=%s")
      .EndObject();
  return json.Take();
}

}  // namespace keel::xds
