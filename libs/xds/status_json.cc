#include "libs/xds/status_json.h"

#include "absl/time/time.h"

namespace keel::xds {

const char* SyncState(const TypeStatus& type) {
  if (!type.nacked_version.empty()) return "ERROR";
  if (type.responses == 0) return "NOT SENT";
  return type.sent_version == type.acked_version ? "SYNCED" : "STALE";
}

void WriteStreams(const std::vector<StreamStatus>& streams, JsonWriter& json) {
  json.BeginArray();
  for (const StreamStatus& stream : streams) {
    json.BeginObject()
        .Key("proxy")
        .String(stream.node_id)
        .Key("peer")
        .String(stream.peer)
        .Key("delta")
        .Bool(stream.delta)
        .Key("connectedAt")
        .String(absl::FormatTime(stream.connected))
        .Key("types")
        .BeginArray();
    for (const TypeStatus& type : stream.types) {
      json.BeginObject()
          .Key("type")
          .String(type.type_url)
          .Key("status")
          .String(SyncState(type))
          .Key("sent")
          .String(type.sent_version)
          .Key("acked")
          .String(type.acked_version)
          .Key("nacked")
          .String(type.nacked_version)
          .Key("error")
          .String(type.nack_message)
          .Key("resources")
          .Uint(type.subscribed_names)
          .Key("wildcard")
          .Bool(type.wildcard)
          .Key("responses")
          .Uint(type.responses)
          .Key("acks")
          .Uint(type.acks)
          .Key("nacks")
          .Uint(type.nacks)
          .EndObject();
    }
    json.EndArray().EndObject();
  }
  json.EndArray();
}

}  // namespace keel::xds
