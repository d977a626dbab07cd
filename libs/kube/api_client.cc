#include "libs/kube/api_client.h"

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/net.h"

namespace keel::kube {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;

class ApiClient::Tls {
 public:
  ssl::context context{ssl::context::tls_client};
};

void StreamCancel::Cancel() {
  std::function<void()> stop;
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    stop = stop_;
  }
  if (stop) stop();
}

bool StreamCancel::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

bool StreamCancel::Attach(std::function<void()> stop) {
  absl::MutexLock lock(&mu_);
  if (cancelled_) return false;
  stop_ = std::move(stop);
  return true;
}

void StreamCancel::Detach() {
  absl::MutexLock lock(&mu_);
  stop_ = nullptr;
}

absl::StatusOr<std::unique_ptr<ApiClient>> ApiClient::Create(ClusterAccess access) {
  if (!access.tls) {
    return absl::InvalidArgumentError(
        absl::StrCat(access.origin, ": server ", access.server, " is not https"));
  }
  auto tls = std::make_unique<Tls>();
  beast::error_code ec;
  tls->context.set_verify_mode(ssl::verify_peer, ec);
  tls->context.add_certificate_authority(asio::buffer(access.ca_pem), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat(access.origin, ": certificate authority: ", ec.message()));
  }
  if (!access.client_cert_pem.empty()) {
    tls->context.use_certificate_chain(asio::buffer(access.client_cert_pem), ec);
    if (!ec) tls->context.use_private_key(asio::buffer(access.client_key_pem), ssl::context::pem, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat(access.origin, ": client certificate or key: ", ec.message()));
    }
  }
  return std::unique_ptr<ApiClient>(new ApiClient(std::move(access), std::move(tls)));
}

ApiClient::ApiClient(ClusterAccess access, std::unique_ptr<Tls> tls)
    : access_(std::move(access)), tls_(std::move(tls)) {}

ApiClient::~ApiClient() = default;

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Exchange is one connection's state while its operations run on `io`.
struct Exchange {
  Exchange(asio::io_context& io, ssl::context& context) : stream(io, context) {}
  TlsStream stream;
  http::request<http::string_body> request;
  beast::flat_buffer buffer;
  beast::error_code ec;
  std::string failed_step;
};

http::request<http::string_body> BuildRequest(const ClusterAccess& access, const ApiRequest& in,
                                              const std::string& token) {
  http::request<http::string_body> out{http::string_to_verb(in.method), in.target, 11};
  out.set(http::field::host, JoinHostPort(access.host, access.port));
  out.set(http::field::user_agent, "keel");
  out.set(http::field::accept, "application/json");
  if (!token.empty()) out.set(http::field::authorization, "Bearer " + token);
  if (!in.body.empty() || in.method != "GET") {
    out.set(http::field::content_type, in.content_type);
    out.body() = in.body;
  }
  out.prepare_payload();
  return out;
}

// Connect resolves, connects, handshakes (verifying the server's name or
// address) and writes the request, then calls `then` (on success only).
void Connect(Exchange& x, const ClusterAccess& access, absl::Duration timeout,
             std::function<void()> then) {
  asio::ip::tcp::resolver resolver(x.stream.get_executor());
  auto endpoints = resolver.resolve(access.host, std::to_string(access.port), x.ec);
  if (x.ec) {
    x.failed_step = "resolve";
    return;
  }
  // SNI for names; an address is checked against the certificate's IP SANs.
  beast::error_code ignored;
  if (asio::ip::make_address(access.host, ignored), ignored) {
    SSL_set_tlsext_host_name(x.stream.native_handle(), access.host.c_str());
  }
  x.stream.set_verify_callback(ssl::host_name_verification(access.host));
  beast::get_lowest_layer(x.stream).expires_after(absl::ToChronoMilliseconds(timeout));
  beast::get_lowest_layer(x.stream).async_connect(
      endpoints, [&x, then = std::move(then)](beast::error_code ec, auto) mutable {
        if ((x.ec = ec)) {
          x.failed_step = "connect";
          return;
        }
        x.stream.async_handshake(ssl::stream_base::client,
                                 [&x, then = std::move(then)](beast::error_code ec) mutable {
                                   if ((x.ec = ec)) {
                                     x.failed_step = "TLS handshake";
                                     return;
                                   }
                                   http::async_write(
                                       x.stream, x.request,
                                       [&x, then = std::move(then)](beast::error_code ec, size_t) {
                                         if ((x.ec = ec)) {
                                           x.failed_step = "write";
                                           return;
                                         }
                                         then();
                                       });
                                 });
      });
}

absl::Status Failure(const ClusterAccess& access, const std::string& method,
                     const std::string& target, const Exchange& x) {
  return absl::UnavailableError(absl::StrCat(method, " ", access.server, target, ": ",
                                             x.failed_step, ": ", x.ec.message()));
}

}  // namespace

absl::StatusOr<ApiResponse> ApiClient::Call(const ApiRequest& request) {
  absl::StatusOr<std::string> token = access_.BearerToken();
  if (!token.ok()) return token.status();
  asio::io_context io;
  Exchange x(io, tls_->context);
  x.request = BuildRequest(access_, request, *token);
  http::response<http::string_body> response;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256ull << 20);  // a list of 50,000 endpoints is tens of MB
  Connect(x, access_, request.timeout, [&] {
    http::async_read(x.stream, x.buffer, parser, [&](beast::error_code ec, size_t) {
      if ((x.ec = ec)) x.failed_step = "read";
    });
  });
  io.run();
  if (x.ec) return Failure(access_, request.method, request.target, x);
  return ApiResponse{.status = static_cast<int>(parser.get().result_int()),
                     .body = std::move(parser.get().body())};
}

absl::Status ApiClient::Stream(const std::string& target,
                               const std::function<bool(std::string_view line)>& on_line,
                               StreamCancel& cancel, absl::Duration idle_timeout, int* status) {
  absl::StatusOr<std::string> token = access_.BearerToken();
  if (!token.ok()) return token.status();
  asio::io_context io;
  if (!cancel.Attach([&io] { io.stop(); })) return absl::CancelledError("watch cancelled");
  struct Detach {
    StreamCancel& cancel;
    ~Detach() { cancel.Detach(); }
  } detach{cancel};

  Exchange x(io, tls_->context);
  x.request = BuildRequest(access_, {.target = target}, *token);
  http::response_parser<http::string_body> parser;
  // A watch never ends by size. (Not boost::none: Boost 1.74 then refuses
  // every body with a Content-Length, comparing it with an empty optional.)
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  std::string pending;              // a line not yet complete
  std::string error_body;           // a chunked answer other than 200
  bool stopped_by_reader = false;
  bool answered_ok = false;  // the header said 200: the body is events
  // Beast keeps a reference to the callback: it lives as long as `parser`.
  auto on_chunk = [&](std::uint64_t, beast::string_view body, beast::error_code& ec) {
    if (!answered_ok) {
      error_body.append(body.data(), body.size());
      return body.size();
    }
    pending.append(body.data(), body.size());
    size_t start = 0;
    for (size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
      if (end > start && !on_line(std::string_view(pending).substr(start, end - start))) {
        stopped_by_reader = true;
        ec = asio::error::operation_aborted;
        return body.size();
      }
    }
    pending.erase(0, start);
    return body.size();
  };
  parser.on_chunk_body(on_chunk);
  std::function<void()> read_more = [&] {
    beast::get_lowest_layer(x.stream).expires_after(absl::ToChronoMilliseconds(idle_timeout));
    http::async_read_some(x.stream, x.buffer, parser, [&](beast::error_code ec, size_t) {
      if (stopped_by_reader) return;
      if ((x.ec = ec)) {
        x.failed_step = "read";
        return;
      }
      if (!parser.is_done()) read_more();
    });
  };
  Connect(x, access_, absl::Seconds(30), [&] {
    http::async_read_header(x.stream, x.buffer, parser, [&](beast::error_code ec, size_t) {
      if ((x.ec = ec)) {
        x.failed_step = "read";
        return;
      }
      if (parser.get().result_int() != 200) {
        // An error answer: read it whole.
        http::async_read(x.stream, x.buffer, parser, [&](beast::error_code ec, size_t) {
          if ((x.ec = ec)) x.failed_step = "read";
        });
        return;
      }
      answered_ok = true;
      if (!parser.is_done()) read_more();
    });
  });
  io.run();
  if (cancel.cancelled()) return absl::CancelledError("watch cancelled");
  if (stopped_by_reader) return absl::OkStatus();
  if (x.ec && x.ec != http::error::end_of_stream) {
    return Failure(access_, "GET", target, x);
  }
  const int code = parser.is_header_done() ? static_cast<int>(parser.get().result_int()) : 0;
  if (status != nullptr) *status = code;
  if (code != 200) {
    return absl::FailedPreconditionError(
        absl::StrCat("GET ", target, ": ", code, " ", error_body, parser.get().body()));
  }
  // A body sent with a length rather than in chunks arrives whole.
  pending += parser.get().body();
  for (absl::string_view line : absl::StrSplit(pending, '\n', absl::SkipEmpty())) {
    if (!on_line(std::string_view(line.data(), line.size()))) break;
  }
  return absl::OkStatus();
}

}  // namespace keel::kube
