#include "integration/harness/browser.h"

#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/websocket.hpp"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "integration/harness/mesh.h"
#include "libs/common/files.h"
#include "libs/common/http_client.h"
#include "libs/common/json_writer.h"

namespace keel::testing {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

// One WebSocket to a DevTools target.
class HeadlessBrowser::Connection {
 public:
  Connection() : socket_(io_) {}
  absl::Status Open(const std::string& host, const std::string& port, const std::string& path) {
    try {
      tcp::resolver resolver(io_);
      boost::asio::connect(socket_.next_layer(), resolver.resolve(host, port));
      socket_.read_message_max(64 << 20);
      socket_.handshake(host + ":" + port, path);
      return absl::OkStatus();
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat("DevTools WebSocket: ", e.what()));
    }
  }
  absl::Status Send(const std::string& text) {
    try {
      socket_.text(true);
      socket_.write(boost::asio::buffer(text));
      return absl::OkStatus();
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat("DevTools write: ", e.what()));
    }
  }
  absl::StatusOr<std::string> Receive() {
    try {
      beast::flat_buffer buffer;
      socket_.read(buffer);
      return beast::buffers_to_string(buffer.data());
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat("DevTools read: ", e.what()));
    }
  }
  void Close() {
    beast::error_code ignored;
    socket_.close(websocket::close_code::normal, ignored);
  }

 private:
  boost::asio::io_context io_;
  websocket::stream<tcp::socket> socket_;
};

namespace {

absl::StatusOr<google::protobuf::Struct> ParseJson(const std::string& json) {
  google::protobuf::Struct parsed;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(json, &parsed, options).ok()) {
    return absl::InvalidArgumentError("unreadable DevTools message: " + json.substr(0, 200));
  }
  return parsed;
}

const google::protobuf::Value* Field(const google::protobuf::Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

std::string ValueText(const google::protobuf::Value& value) {
  if (value.has_string_value()) return value.string_value();
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(value, &json);
  return json;
}

}  // namespace

std::string TestOutputPath(const std::string& name) {
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  return absl::StrCat(dir != nullptr ? dir : TestTempDir("outputs"), "/", name);
}

absl::StatusOr<std::unique_ptr<HeadlessBrowser>> HeadlessBrowser::Launch() {
  const std::string binary = "/usr/bin/chromium";
  if (!std::filesystem::exists(binary)) {
    return absl::FailedPreconditionError("Chromium is not installed (scripts/install-deps.sh installs it)");
  }
  const std::string profile = TestTempDir("chromium-profile");
  // As root Chromium needs --no-sandbox; port 0: it picks one and writes it
  // to DevToolsActivePort in the profile.
  absl::StatusOr<ChildProcess> chromium = ChildProcess::Start(
      binary,
      {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
       "--no-first-run", "--no-default-browser-check", "--window-size=1280,900",
       "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank"},
      profile + "/../chromium.log");
  if (!chromium.ok()) return chromium.status();
  std::string port;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (port.empty() && absl::Now() < deadline && chromium->Running()) {
    absl::StatusOr<std::string> active = ReadWholeFile(profile + "/DevToolsActivePort");
    if (active.ok() && absl::StrContains(*active, "\n")) {
      port = active->substr(0, active->find('\n'));
    } else {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  if (port.empty()) {
    return absl::UnavailableError("Chromium did not open its DevTools port:\n" + chromium->Log());
  }
  // The page target's WebSocket, from the HTTP listing.
  std::string page_path;
  while (page_path.empty() && absl::Now() < deadline) {
    absl::StatusOr<HttpResponse> listing = HttpGet("127.0.0.1:" + port, "/json/list");
    if (listing.ok() && listing->status == 200) {
      google::protobuf::ListValue targets;
      if (google::protobuf::util::JsonStringToMessage(listing->body, &targets).ok()) {
        for (const google::protobuf::Value& target : targets.values()) {
          const auto& fields = target.struct_value().fields();
          auto type = fields.find("type");
          auto url = fields.find("webSocketDebuggerUrl");
          if (type != fields.end() && type->second.string_value() == "page" && url != fields.end()) {
            const std::string& ws = url->second.string_value();  // ws://127.0.0.1:PORT/devtools/page/ID
            page_path = ws.substr(ws.find('/', 5));
            break;
          }
        }
      }
    }
    if (page_path.empty()) absl::SleepFor(absl::Milliseconds(20));
  }
  if (page_path.empty()) return absl::UnavailableError("Chromium listed no page");
  auto connection = std::make_unique<Connection>();
  if (absl::Status opened = connection->Open("127.0.0.1", port, page_path); !opened.ok()) return opened;
  std::unique_ptr<HeadlessBrowser> browser(
      new HeadlessBrowser(*std::move(chromium), profile, std::move(connection)));
  for (const char* domain : {"Page.enable", "Runtime.enable", "Log.enable"}) {
    if (absl::StatusOr<std::string> enabled = browser->Call(domain, "{}"); !enabled.ok()) {
      return enabled.status();
    }
  }
  return browser;
}

HeadlessBrowser::HeadlessBrowser(ChildProcess chromium, std::string profile,
                                 std::unique_ptr<Connection> connection)
    : chromium_(std::move(chromium)), profile_(std::move(profile)), connection_(std::move(connection)) {}

HeadlessBrowser::~HeadlessBrowser() {
  connection_->Close();
  chromium_.Terminate(absl::Seconds(5));
}

absl::StatusOr<std::string> HeadlessBrowser::Call(const std::string& method,
                                                  const std::string& params_json,
                                                  absl::Duration timeout) {
  const int id = next_id_++;
  JsonWriter request;
  request.BeginObject().Key("id").Int(id).Key("method").String(method).Key("params").Raw(params_json).EndObject();
  if (absl::Status sent = connection_->Send(request.Take()); !sent.ok()) return sent;
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    absl::StatusOr<std::string> message = connection_->Receive();
    if (!message.ok()) return message.status();
    absl::StatusOr<google::protobuf::Struct> parsed = ParseJson(*message);
    if (!parsed.ok()) return parsed.status();
    const google::protobuf::Value* event = Field(*parsed, "method");
    if (event != nullptr) {
      // Events between: errors are kept, a load is noted.
      const std::string& name = event->string_value();
      const google::protobuf::Value* params = Field(*parsed, "params");
      if (name == "Page.loadEventFired") loaded_ = true;
      if (name == "Runtime.exceptionThrown" && params != nullptr) errors_.push_back(ValueText(*params));
      if (name == "Runtime.consoleAPICalled" && params != nullptr) {
        const google::protobuf::Value* type = Field(params->struct_value(), "type");
        if (type != nullptr && type->string_value() == "error") errors_.push_back(ValueText(*params));
      }
      if (name == "Log.entryAdded" && params != nullptr) {
        const google::protobuf::Value* entry = Field(params->struct_value(), "entry");
        const google::protobuf::Value* level = entry ? Field(entry->struct_value(), "level") : nullptr;
        const google::protobuf::Value* source = entry ? Field(entry->struct_value(), "source") : nullptr;
        // Network errors of the page's own fetches count; others (the
        // browser's) are not the page's.
        if (level != nullptr && level->string_value() == "error" && source != nullptr &&
            (source->string_value() == "javascript" || source->string_value() == "network")) {
          errors_.push_back(ValueText(*entry));
        }
      }
      continue;
    }
    const google::protobuf::Value* answered = Field(*parsed, "id");
    if (answered == nullptr || static_cast<int>(answered->number_value()) != id) continue;
    if (const google::protobuf::Value* error = Field(*parsed, "error")) {
      return absl::InternalError(absl::StrCat(method, ": ", ValueText(*error)));
    }
    const google::protobuf::Value* result = Field(*parsed, "result");
    return result != nullptr ? ValueText(*result) : "{}";
  }
  return absl::DeadlineExceededError(absl::StrCat(method, ": no answer"));
}

absl::Status HeadlessBrowser::Navigate(const std::string& url) {
  loaded_ = false;
  JsonWriter params;
  params.BeginObject().Key("url").String(url).EndObject();
  absl::StatusOr<std::string> navigated = Call("Page.navigate", params.Take());
  if (!navigated.ok()) return navigated.status();
  // A change of the fragment alone stays in the document: no load follows.
  absl::StatusOr<google::protobuf::Struct> result = ParseJson(*navigated);
  if (result.ok() && Field(*result, "loaderId") == nullptr) return absl::OkStatus();
  // The load event arrives as an event; any call lets it be read.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!loaded_ && absl::Now() < deadline) {
    if (absl::StatusOr<std::string> ping = Call("Runtime.evaluate", "{\"expression\":\"1\"}"); !ping.ok()) {
      return ping.status();
    }
    if (!loaded_) absl::SleepFor(absl::Milliseconds(20));
  }
  return loaded_ ? absl::OkStatus() : absl::DeadlineExceededError("no load event for " + url);
}

absl::StatusOr<std::string> HeadlessBrowser::Evaluate(const std::string& expression) {
  JsonWriter params;
  params.BeginObject()
      .Key("expression")
      .String(expression)
      .Key("awaitPromise")
      .Bool(true)
      .Key("returnByValue")
      .Bool(true)
      .EndObject();
  absl::StatusOr<std::string> result = Call("Runtime.evaluate", params.Take());
  if (!result.ok()) return result.status();
  absl::StatusOr<google::protobuf::Struct> parsed = ParseJson(*result);
  if (!parsed.ok()) return parsed.status();
  if (const google::protobuf::Value* exception = Field(*parsed, "exceptionDetails")) {
    return absl::InvalidArgumentError("JavaScript threw: " + ValueText(*exception));
  }
  const google::protobuf::Value* value = Field(*parsed, "result");
  const google::protobuf::Value* inner = value ? Field(value->struct_value(), "value") : nullptr;
  return inner != nullptr ? ValueText(*inner) : "";
}

bool HeadlessBrowser::WaitFor(const std::string& expression, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    absl::StatusOr<std::string> value = Evaluate("Boolean(" + expression + ")");
    if (value.ok() && *value == "true") return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

absl::Status HeadlessBrowser::Screenshot(const std::string& path) {
  absl::StatusOr<std::string> result = Call("Page.captureScreenshot", "{\"format\":\"png\"}");
  if (!result.ok()) return result.status();
  absl::StatusOr<google::protobuf::Struct> parsed = ParseJson(*result);
  if (!parsed.ok()) return parsed.status();
  const google::protobuf::Value* data = Field(*parsed, "data");
  std::string png;
  if (data == nullptr || !absl::Base64Unescape(data->string_value(), &png)) {
    return absl::InternalError("no screenshot data");
  }
  return WriteFileAtomically(path, png);
}

}  // namespace keel::testing
