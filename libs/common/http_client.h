// A blocking HTTP/1.1 client (Boost.Beast) for talking to Keel's own HTTP
// endpoints: keelctl reading debug pages, tests reading /metrics.
#ifndef KEEL_LIBS_COMMON_HTTP_CLIENT_H_
#define KEEL_LIBS_COMMON_HTTP_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/http_server.h"

namespace keel {

struct HttpClientRequest {
  std::string method = "GET";
  std::string address;  // "host:port"
  std::string target;   // path and query, e.g. "/debug/syncz?proxyID=a"
  std::string body;
  std::string content_type = "application/json";
  absl::Duration timeout = absl::Seconds(10);
};

// HttpFetch sends one request and returns the response, whatever its status.
// Returns Unavailable when the server cannot be reached or the exchange fails
// or times out.
absl::StatusOr<HttpResponse> HttpFetch(const HttpClientRequest& request);

// HttpGet is HttpFetch for a GET of `target` on `address`.
absl::StatusOr<HttpResponse> HttpGet(const std::string& address, const std::string& target,
                                     absl::Duration timeout = absl::Seconds(10));

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_HTTP_CLIENT_H_
