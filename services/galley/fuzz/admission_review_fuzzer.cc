// Fuzz target for Galley's validating admission webhook: an AdmissionReview
// request body (JSON), as the Kubernetes API server would POST it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "services/galley/webhook.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  keel::HttpRequest request;
  request.method = "POST";
  request.path = "/validate";
  request.body.assign(reinterpret_cast<const char*>(data), size);
  (void)keel::galley::HandleAdmissionReview(request);
  return 0;
}
