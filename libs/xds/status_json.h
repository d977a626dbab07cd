// The ADS server's per-stream status as JSON, for the debug pages of every
// service that serves xDS (Pilot's /debug/syncz, Galley's /debug/mcpz) and
// for keelctl proxy-status, which reads it back.
#ifndef KEEL_LIBS_XDS_STATUS_JSON_H_
#define KEEL_LIBS_XDS_STATUS_JSON_H_

#include <vector>

#include "libs/common/json_writer.h"
#include "libs/xds/ads_server.h"

namespace keel::xds {

// SyncState names where a type stands on a stream, as istioctl
// proxy-status does: "SYNCED", "STALE" (sent, not yet ACKed), "NOT SENT" or
// "ERROR" (the last response was NACKed).
const char* SyncState(const TypeStatus& type);

// WriteStreams writes `streams` as an array of {proxy, peer, delta,
// connectedAt, types: [{type, status, sent, acked, nacked, error, resources,
// wildcard, responses, acks, nacks}]}.
void WriteStreams(const std::vector<StreamStatus>& streams, JsonWriter& json);

}  // namespace keel::xds

#endif  // KEEL_LIBS_XDS_STATUS_JSON_H_
