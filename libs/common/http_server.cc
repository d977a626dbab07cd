#include "libs/common/http_server.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/logging.h"
#include "libs/common/net.h"
#include "spdlog/spdlog.h"

// Boost 1.74's Asio needs <utility> before it under C++20.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace keel {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(30);

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string DecodeUrlComponent(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<std::string> HttpRequest::QueryParam(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options) : options_(options), acceptor_(io_) {}

  absl::Status LoadTls() {
    if (options_.tls_cert_file.empty() && options_.tls_key_file.empty()) return absl::OkStatus();
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1);
    beast::error_code ec;
    tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("TLS certificate ", options_.tls_cert_file, ": ", ec.message()));
    }
    tls_->use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("TLS key ", options_.tls_key_file, ": ", ec.message()));
    }
    return absl::OkStatus();
  }

  asio::ssl::context* tls() { return tls_.get(); }

  absl::Status Listen(const std::string& address) {
    absl::StatusOr<HostPort> host_port = ParseHostPort(address);
    if (!host_port.ok()) return host_port.status();
    beast::error_code ec;
    asio::ip::address ip = host_port->host.empty() ? asio::ip::address(asio::ip::address_v4::any())
                                                   : asio::ip::make_address(host_port->host, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad address \"", address, "\": ", ec.message()));
    }
    tcp::endpoint endpoint(ip, host_port->port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
    return absl::OkStatus();
  }

  void Stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      accept_retry_.cancel();
      io_.stop();
    });
    thread_.join();
  }

  void Handle(const std::string& path, HttpHandler handler) {
    absl::MutexLock lock(&mu_);
    handlers_[path] = std::move(handler);
  }

  std::vector<std::string> Paths() const {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> paths;
    for (const auto& [path, handler] : handlers_) paths.push_back(path);
    return paths;
  }

  uint16_t port() const { return port_; }

  HttpResponse Dispatch(const HttpRequest& request) {
    HttpHandler handler;
    {
      absl::MutexLock lock(&mu_);
      auto it = handlers_.find(request.path);
      if (it != handlers_.end()) handler = it->second;
    }
    if (!handler) return HttpResponse{.status = 404, .body = "not found\n"};
    if (!request.from_loopback) {
      for (const std::string& prefix : options_.loopback_only_prefixes) {
        if (absl::StartsWith(request.path, prefix)) {
          return HttpResponse{.status = 403,
                              .body = absl::StrCat(prefix, "* is served to local clients only\n")};
        }
      }
    }
    return handler(request);
  }

  const HttpServerOptions& options() const { return options_; }

 private:
  void Accept();

  HttpServerOptions options_;
  std::unique_ptr<asio::ssl::context> tls_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_{io_};
  absl::Duration accept_backoff_ = absl::ZeroDuration();
  std::thread thread_;
  uint16_t port_ = 0;
  mutable absl::Mutex mu_;
  std::map<std::string, HttpHandler> handlers_ ABSL_GUARDED_BY(mu_);
};

namespace {

bool IsLoopback(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return address.is_loopback();
}

// One connection: read a request, dispatch, write, repeat while keep-alive.
// Stream is beast::tcp_stream, or an SSL stream over one.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <typename... Args>
  Session(HttpServer::Impl* server, Args&&... args)
      : stream_(std::forward<Args>(args)...), server_(server) {}

  void Start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      Read();
    } else {
      beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->Read();
                              });
    }
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(server_->options().max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(server_->options().max_header_bytes));
    beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return Write(
          MakeResponse(HttpResponse{.status = 413, .body = "request body too large\n"}, 11, false));
    }
    if (ec == http::error::header_limit) {
      // Which part is too long: the request line (never parsed), or the
      // headers after it.
      const bool line_too_long = parser_->get().target().empty();
      return Write(MakeResponse(
          line_too_long ? HttpResponse{.status = 414, .body = "request URI too long\n"}
                        : HttpResponse{.status = 431, .body = "request headers too large\n"},
          11, false));
    }
    if (ec) return Close();
    const auto& raw = parser_->get();
    HttpRequest request;
    beast::error_code peer_error;
    const auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(peer_error);
    request.from_loopback = !peer_error && IsLoopback(peer.address());
    request.method = std::string(raw.method_string());
    std::string target(raw.target());
    size_t question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) {
      for (absl::string_view pair :
           absl::StrSplit(target.substr(question + 1), '&', absl::SkipEmpty())) {
        std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
        request.query[DecodeUrlComponent(kv.first)] = DecodeUrlComponent(kv.second);
      }
    }
    for (const auto& field : raw) {
      request.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
          std::string(field.value());
    }
    request.body = raw.body();
    HttpResponse response = server_->Dispatch(request);
    Write(MakeResponse(response, raw.version(), raw.keep_alive()));
  }

  std::shared_ptr<http::response<http::string_body>> MakeResponse(const HttpResponse& response,
                                                                  unsigned version,
                                                                  bool keep_alive) {
    auto out = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version);
    out->set(http::field::server, "keel");
    // Pages may show client-supplied text: never let a browser sniff it as HTML.
    out->set("X-Content-Type-Options", "nosniff");
    out->set(http::field::content_type, response.content_type);
    out->keep_alive(keep_alive);
    out->body() = response.body;
    out->prepare_payload();
    return out;
  }

  void Write(std::shared_ptr<http::response<http::string_body>> response) {
    http::async_write(stream_, *response,
                      [self = this->shared_from_this(), response](beast::error_code ec, size_t) {
                        if (ec || !response->keep_alive()) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ignored;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    } else {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored_too;
        beast::get_lowest_layer(self->stream_)
            .socket()
            .shutdown(tcp::socket::shutdown_both, ignored_too);
      });
    }
  }

  Stream stream_;
  HttpServer::Impl* server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // The connection stays queued, so accepting again at once fails
      // again: out of file descriptors, that spun a core. Wait instead.
      accept_backoff_ = std::clamp(accept_backoff_ * 2, absl::Milliseconds(50), absl::Seconds(1));
      static LogRateLimiter* limiter = new LogRateLimiter(0.1);
      if (uint64_t dropped = 0; limiter->Allow(&dropped)) {
        spdlog::warn("HTTP server on port {}: accepting a connection failed: {}; retrying in {} "
                     "({} such failures not logged)",
                     port_, ec.message(), absl::FormatDuration(accept_backoff_), dropped);
      }
      if (options_.on_accept_error) options_.on_accept_error(ec.message(), accept_backoff_);
      accept_retry_.expires_after(absl::ToChronoMilliseconds(accept_backoff_));
      accept_retry_.async_wait([this](beast::error_code waited) {
        if (!waited && acceptor_.is_open()) Accept();
      });
      return;
    }
    accept_backoff_ = absl::ZeroDuration();
    {
      if (tls_ != nullptr) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(this, std::move(socket),
                                                                        *tls_)
            ->Start();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(this, std::move(socket))->Start();
      }
    }
    if (acceptor_.is_open()) Accept();
  });
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& address,
                                                              HttpServerOptions options) {
  auto impl = std::make_unique<Impl>(options);
  if (absl::Status tls = impl->LoadTls(); !tls.ok()) return tls;
  absl::Status status = impl->Listen(address);
  if (!status.ok()) return status;
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { Stop(); }
void HttpServer::Stop() { impl_->Stop(); }
void HttpServer::Handle(const std::string& path, HttpHandler handler) {
  impl_->Handle(path, std::move(handler));
}
std::vector<std::string> HttpServer::Paths() const { return impl_->Paths(); }
uint16_t HttpServer::port() const { return impl_->port(); }

}  // namespace keel
