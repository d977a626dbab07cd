// Galley's Kubernetes validating admission webhook: POST /validate with an
// admission.k8s.io/v1 AdmissionReview; the answer allows or denies the
// object with Keel's validation messages. Bad requests get 400 with a
// reason; input is bounded (body size by the server, nesting depth here).
#ifndef KEEL_SERVICES_GALLEY_WEBHOOK_H_
#define KEEL_SERVICES_GALLEY_WEBHOOK_H_

#include <string>
#include <vector>

#include "libs/common/http_server.h"
#include "libs/common/json_writer.h"
#include "libs/mesh/resource.h"

namespace keel::galley {

// HandleAdmissionReview answers one /validate request.
// `in_force` is the config Galley serves: Mixer's rules and instances are
// type-checked against its attribute manifests, as on every other path.
HttpResponse HandleAdmissionReview(const HttpRequest& request,
                                   const std::vector<const mesh::Resource*>& in_force = {});

// ScanJson checks what YAML would accept but JSON does not, before the YAML
// reader sees a webhook's body: nesting deeper than kMaxJsonDepth, and
// anything outside string literals that no JSON token contains (YAML
// anchors and aliases among them: a few hundred bytes of them can name
// billions of nodes). Returns "" or the reason.
std::string ScanJson(const std::string& text);

// BadAdmissionReview is the 400 answer to a request that is not a readable
// AdmissionReview.
HttpResponse BadAdmissionReview(const std::string& reason);

// BeginAdmissionResponse starts an AdmissionReview answer in `json`: the
// review object and its response, with uid and allowed written; the caller
// adds the rest and closes both objects.
void BeginAdmissionResponse(JsonWriter& json, const std::string& api_version,
                            const std::string& uid, bool allowed);

// Nesting deeper than this in a request body is refused before parsing.
inline constexpr int kMaxJsonDepth = 64;

}  // namespace keel::galley

#endif  // KEEL_SERVICES_GALLEY_WEBHOOK_H_
