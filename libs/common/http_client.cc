#include "libs/common/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/net.h"

namespace keel {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

absl::StatusOr<HttpResponse> HttpFetch(const HttpClientRequest& request) {
  absl::StatusOr<HostPort> host_port = ParseHostPort(request.address);
  if (!host_port.ok()) return host_port.status();
  const std::string host = host_port->host.empty() ? "127.0.0.1" : host_port->host;
  auto failed = [&](const beast::error_code& ec) {
    return absl::UnavailableError(absl::StrCat(request.method, " http://", request.address,
                                               request.target, ": ", ec.message()));
  };

  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  asio::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(host, std::to_string(host_port->port), ec);
  if (ec) return failed(ec);
  stream.expires_after(absl::ToChronoMilliseconds(request.timeout));

  // Each step runs asynchronously so that the stream's deadline applies.
  http::request<http::string_body> out{http::string_to_verb(request.method), request.target, 11};
  out.set(http::field::host, request.address);
  out.set(http::field::connection, "close");
  if (!request.body.empty()) {
    out.set(http::field::content_type, request.content_type);
    out.body() = request.body;
  }
  out.prepare_payload();
  beast::flat_buffer buffer;
  http::response<http::string_body> in;
  stream.async_connect(endpoints, [&](beast::error_code connect_ec, auto) {
    if ((ec = connect_ec)) return;
    http::async_write(stream, out, [&](beast::error_code write_ec, size_t) {
      if ((ec = write_ec)) return;
      http::async_read(stream, buffer, in,
                       [&](beast::error_code read_ec, size_t) { ec = read_ec; });
    });
  });
  io.run();
  if (ec) return failed(ec);
  return HttpResponse{.status = static_cast<int>(in.result_int()),
                      .content_type = std::string(in[http::field::content_type]),
                      .body = std::move(in.body())};
}

absl::StatusOr<HttpResponse> HttpGet(const std::string& address, const std::string& target,
                                     absl::Duration timeout) {
  return HttpFetch({.address = address, .target = target, .timeout = timeout});
}

}  // namespace keel
