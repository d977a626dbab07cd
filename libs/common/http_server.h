// A small HTTP/1.1 server (Boost.Beast) for monitoring, debug pages and
// webhooks. Handlers are registered per exact path and run on the server's
// own I/O thread, so they must not block for long.
//
//   KEEL_ASSIGN_OR_RETURN(auto server, HttpServer::Start("127.0.0.1:0"));
//   server->Handle("/healthz", [](const HttpRequest&) { return HttpResponse{.body = "ok\n"}; });
#ifndef KEEL_LIBS_COMMON_HTTP_SERVER_H_
#define KEEL_LIBS_COMMON_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/synchronization/mutex.h"

namespace keel {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // without the query string
  std::map<std::string, std::string> query;    // decoded query parameters
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool from_loopback = false;  // the peer is 127.0.0.0/8 or ::1

  // QueryParam returns the decoded value of `name`, if present.
  std::optional<std::string> QueryParam(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  // Requests with a larger body are answered 413 without reaching a handler.
  size_t max_body_bytes = 1 << 20;
  // Requests whose request line and headers exceed this are answered 414
  // (the request line alone is too long) or 431, then the connection closes.
  size_t max_header_bytes = 16 << 10;
  // Paths under these prefixes are served to loopback peers only; others
  // get 403 (debug pages name every proxy and config file).
  std::vector<std::string> loopback_only_prefixes;
  // HTTPS when both are set: PEM files of the certificate chain and key.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Called on the server's thread when accepting a connection fails (file
  // descriptors ran out, say), with the error and how long the server now
  // waits before it accepts again: it backs off (50 ms doubling to 1 s)
  // instead of retrying at once, and logs at most once per 10 s.
  std::function<void(const std::string& error, absl::Duration backoff)> on_accept_error;
};

class HttpServer {
 public:
  // Start listens on `address` ("host:port"; port 0 picks a free one) and
  // serves on a thread of its own. Returns Unavailable with the OS's reason
  // when the address cannot be bound, InvalidArgument when the TLS files
  // cannot be loaded.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& address,
                                                           HttpServerOptions options = {});

  // Stops serving; pending connections are closed.
  ~HttpServer();

  // Handle routes requests for exactly `path` to `handler`, replacing any
  // earlier handler. Unknown paths get 404.
  void Handle(const std::string& path, HttpHandler handler);

  // Paths lists the registered paths, sorted.
  std::vector<std::string> Paths() const;

  // port returns the bound port (useful after asking for port 0).
  uint16_t port() const;

  // Stop closes the listener and every connection, and joins the I/O thread.
  void Stop();

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// DecodeUrlComponent decodes %XX escapes and '+' (as a space).
std::string DecodeUrlComponent(const std::string& text);

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_HTTP_SERVER_H_
