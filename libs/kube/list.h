// ListAll: every object of one API path, page by page (500 a page), as the
// server wrote each one (JSON text), with the list's resourceVersion to
// watch from.
#ifndef KEEL_LIBS_KUBE_LIST_H_
#define KEEL_LIBS_KUBE_LIST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/kube/api_client.h"

namespace keel::kube {

struct ListedObjects {
  std::string resource_version;
  std::vector<std::string> items;  // each object's JSON
};

// ListAll lists `path` ("/api/v1/services"). NotFound when the server does
// not serve it (no CRD), PermissionDenied on 403, Cancelled when `cancel`
// is, Unavailable for the rest, each naming the path and the server's
// answer.
absl::StatusOr<ListedObjects> ListAll(ApiClient& client, const std::string& path,
                                      const StreamCancel* cancel = nullptr);

// WithTypeMeta returns `item` with apiVersion and kind first, as a list's
// items of built-in types lack them (a list of Services holds objects
// without "kind": "Service").
std::string WithTypeMeta(const std::string& item, const std::string& api_version,
                         const std::string& kind);

}  // namespace keel::kube

#endif  // KEEL_LIBS_KUBE_LIST_H_
