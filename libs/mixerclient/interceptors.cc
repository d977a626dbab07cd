#include "libs/mixerclient/interceptors.h"

#include <arpa/inet.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/message_lite.h"

namespace keel::mixerclient {
namespace {

using grpc::experimental::InterceptionHookPoints;
using mixer::AttributeBag;

// Envoy's gRPC → HTTP status mapping, which Istio's response.code carries.
int64_t HttpCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::OK: return 200;
    case grpc::CANCELLED: return 499;
    case grpc::INVALID_ARGUMENT:
    case grpc::FAILED_PRECONDITION:
    case grpc::OUT_OF_RANGE: return 400;
    case grpc::DEADLINE_EXCEEDED: return 504;
    case grpc::NOT_FOUND: return 404;
    case grpc::ALREADY_EXISTS:
    case grpc::ABORTED: return 409;
    case grpc::PERMISSION_DENIED: return 403;
    case grpc::RESOURCE_EXHAUSTED: return 429;
    case grpc::UNIMPLEMENTED: return 501;
    case grpc::UNAVAILABLE: return 503;
    case grpc::UNAUTHENTICATED: return 401;
    default: return 500;
  }
}

// "ipv4:10.0.0.1:5000" / "ipv6:[::1]:5000" → the address's bytes.
std::optional<mixer::Bytes> PeerAddress(absl::string_view peer) {
  std::string host;
  if (absl::ConsumePrefix(&peer, "ipv4:")) {
    host = std::string(peer.substr(0, peer.rfind(':')));
    in_addr v4;
    if (inet_pton(AF_INET, host.c_str(), &v4) != 1) return std::nullopt;
    return mixer::Bytes{std::string(reinterpret_cast<const char*>(&v4), sizeof(v4))};
  }
  if (absl::ConsumePrefix(&peer, "ipv6:[")) {
    host = std::string(peer.substr(0, peer.find(']')));
    in6_addr v6;
    if (inet_pton(AF_INET6, host.c_str(), &v6) != 1) return std::nullopt;
    return mixer::Bytes{std::string(reinterpret_cast<const char*>(&v6), sizeof(v6))};
  }
  return std::nullopt;
}

void AddWorkload(const WorkloadInfo& workload, absl::string_view side, AttributeBag& bag) {
  auto name = [side](absl::string_view suffix) { return absl::StrCat(side, ".", suffix); };
  if (!workload.name.empty()) {
    bag[name("workload.name")] = workload.name;
    bag[name("name")] = workload.name;
  }
  if (!workload.namespace_name.empty()) {
    bag[name("namespace")] = workload.namespace_name;
    bag[name("workload.namespace")] = workload.namespace_name;
  }
  if (!workload.labels.empty()) {
    bag[name("labels")] = mixer::StringMap(workload.labels.begin(), workload.labels.end());
  }
  if (!workload.principal.empty()) {
    bag[name("principal")] = workload.principal;
    if (side == "source") bag["source.user"] = workload.principal;
  }
}

void AddService(absl::string_view host, AttributeBag& bag) {
  if (host.empty()) return;
  bag["destination.service.host"] = std::string(host);
  // name.namespace.svc.<domain>
  std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  bag["destination.service.name"] = std::string(parts[0]);
  if (parts.size() > 1) bag["destination.service.namespace"] = std::string(parts[1]);
}

// AddPeerIdentity sets the source's principal, user and namespace from a
// SPIFFE id; false when `uri` is not one.
bool AddPeerIdentity(absl::string_view uri, AttributeBag& bag) {
  return mixer::SetPrincipal(uri, "source", bag);
}

// Where each server call's Check answer is kept for its handler.
class InboundAnswers {
 public:
  static InboundAnswers& Get() {
    static auto* answers = new InboundAnswers();  // never destroyed: calls may outlive main
    return *answers;
  }
  void Set(const grpc::ServerContextBase* context, absl::Status status) {
    absl::MutexLock lock(&mu_);
    answers_[context] = std::move(status);
  }
  absl::Status Find(const grpc::ServerContextBase* context) {
    absl::MutexLock lock(&mu_);
    auto it = answers_.find(context);
    return it == answers_.end() ? absl::OkStatus() : it->second;
  }
  void Erase(const grpc::ServerContextBase* context) {
    absl::MutexLock lock(&mu_);
    answers_.erase(context);
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<const grpc::ServerContextBase*, absl::Status> answers_ ABSL_GUARDED_BY(mu_);
};

int64_t MessageBytes(void* message) {
  // Keel's services are protobuf services: a received message is one.
  return message == nullptr
             ? 0
             : static_cast<int64_t>(static_cast<google::protobuf::MessageLite*>(message)->ByteSizeLong());
}

class ServerInterceptor final : public grpc::experimental::Interceptor {
 public:
  ServerInterceptor(grpc::experimental::ServerRpcInfo* info, std::shared_ptr<MixerClient> mixer,
                    const WorkloadInfo& self)
      : info_(info), mixer_(std::move(mixer)), self_(self), start_(absl::Now()) {}
  ~ServerInterceptor() override { InboundAnswers::Get().Erase(info_->server_context()); }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      const grpc::ServerContextBase* context = info_->server_context();
      std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
      bag_ = InboundAttributes(self_, info_->method(), context->peer(), auth.get(),
                               *methods->GetRecvInitialMetadata());
      // The handler waits for the answer: Proceed only once it is in.
      mixer_->CheckAsync(bag_, {}, [this, methods, context](absl::Status status) {
        InboundAnswers::Get().Set(context, status);
        denied_ = std::move(status);
        methods->Proceed();
      });
      return;
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      request_bytes_ += MessageBytes(methods->GetRecvMessage());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      if (grpc::ByteBuffer* buffer = methods->GetSerializedSendMessage(); buffer != nullptr) {
        response_bytes_ += static_cast<int64_t>(buffer->Length());
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      if (!denied_.ok() && status.ok()) {
        status = grpc::Status(static_cast<grpc::StatusCode>(denied_.code()),
                              std::string(denied_.message()));
        methods->ModifySendStatus(status);
      }
      AddResponseAttributes(status, request_bytes_, response_bytes_, start_, absl::Now(), bag_);
      mixer_->Report(std::move(bag_));
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* const info_;
  const std::shared_ptr<MixerClient> mixer_;
  const WorkloadInfo& self_;
  const absl::Time start_;
  AttributeBag bag_;
  absl::Status denied_;
  int64_t request_bytes_ = 0, response_bytes_ = 0;
};

class ServerFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  ServerFactory(std::shared_ptr<MixerClient> mixer, WorkloadInfo self)
      : mixer_(std::move(mixer)), self_(std::move(self)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new ServerInterceptor(info, mixer_, self_);
  }

 private:
  const std::shared_ptr<MixerClient> mixer_;
  const WorkloadInfo self_;
};

class ClientInterceptor final : public grpc::experimental::Interceptor {
 public:
  ClientInterceptor(grpc::experimental::ClientRpcInfo* info, std::shared_ptr<MixerClient> mixer,
                    const WorkloadInfo& self, const std::string& destination)
      : mixer_(std::move(mixer)), start_(absl::Now()) {
    bag_["context.reporter.kind"] = std::string("outbound");
    bag_["context.protocol"] = std::string("grpc");
    bag_["api.protocol"] = std::string("grpc");
    bag_["request.method"] = std::string("POST");
    bag_["request.path"] = std::string(info->method());
    bag_["request.time"] = start_;
    AddWorkload(self, "source", bag_);
    AddService(destination, bag_);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      if (grpc::ByteBuffer* buffer = methods->GetSerializedSendMessage(); buffer != nullptr) {
        request_bytes_ += static_cast<int64_t>(buffer->Length());
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      response_bytes_ += MessageBytes(methods->GetRecvMessage());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_STATUS)) {
      AddResponseAttributes(*methods->GetRecvStatus(), request_bytes_, response_bytes_, start_,
                            absl::Now(), bag_);
      mixer_->Report(std::move(bag_));
    }
    methods->Proceed();
  }

 private:
  const std::shared_ptr<MixerClient> mixer_;
  const absl::Time start_;
  AttributeBag bag_;
  int64_t request_bytes_ = 0, response_bytes_ = 0;
};

class ClientFactory final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  ClientFactory(std::shared_ptr<MixerClient> mixer, WorkloadInfo self, std::string destination)
      : mixer_(std::move(mixer)), self_(std::move(self)), destination_(std::move(destination)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    return new ClientInterceptor(info, mixer_, self_, destination_);
  }

 private:
  const std::shared_ptr<MixerClient> mixer_;
  const WorkloadInfo self_;
  const std::string destination_;
};

}  // namespace

AttributeBag InboundAttributes(const WorkloadInfo& self, absl::string_view method,
                               absl::string_view peer, const grpc::AuthContext* auth_context,
                               const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  AttributeBag bag;
  bag["context.reporter.kind"] = std::string("inbound");
  bag["context.protocol"] = std::string("grpc");
  bag["api.protocol"] = std::string("grpc");
  bag["request.method"] = std::string("POST");
  bag["request.path"] = std::string(method);
  bag["request.time"] = absl::Now();
  AddWorkload(self, "destination", bag);
  AddService(self.service_host, bag);
  // Headers as the client sent them; nothing else is taken from them.
  mixer::StringMap headers;
  for (const auto& [key, value] : metadata) {
    absl::string_view name(key.data(), key.size());
    if (absl::EndsWith(name, "-bin") || absl::StartsWith(name, ":")) continue;
    std::string lower = absl::AsciiStrToLower(name);
    // Istio's proxy-to-proxy attribute header: a client could forge it
    // (ISTIO-SECURITY-2020-002), so a rule never sees it.
    if (lower == "x-istio-attributes") continue;
    headers.emplace(std::move(lower), std::string(value.data(), value.size()));
  }
  if (auto it = headers.find("user-agent"); it != headers.end()) {
    bag["request.useragent"] = it->second;
  }
  if (auto it = headers.find(":authority"); it != headers.end()) bag["request.host"] = it->second;
  bag["request.headers"] = std::move(headers);
  if (std::optional<mixer::Bytes> address = PeerAddress(peer)) bag["source.ip"] = *address;
  // The source's identity: its certificate's SPIFFE id.
  bool mtls = false;
  if (auth_context != nullptr && auth_context->IsPeerAuthenticated()) {
    for (const grpc::string_ref& san :
         auth_context->FindPropertyValues("x509_subject_alternative_name")) {
      if (AddPeerIdentity(absl::string_view(san.data(), san.size()), bag)) {
        mtls = true;
        break;
      }
    }
  }
  bag["connection.mtls"] = mtls;
  return bag;
}

void AddResponseAttributes(const grpc::Status& status, int64_t request_bytes,
                           int64_t response_bytes, absl::Time start, absl::Time end,
                           AttributeBag& bag) {
  bag["response.code"] = HttpCode(status.error_code());
  bag["response.grpc_status"] = absl::StrCat(static_cast<int>(status.error_code()));
  if (!status.error_message().empty()) bag["response.grpc_message"] = status.error_message();
  bag["request.size"] = request_bytes;
  bag["response.size"] = response_bytes;
  bag["request.total_size"] = request_bytes;
  bag["response.total_size"] = response_bytes;
  bag["response.time"] = end;
  bag["response.duration"] = end - start;
}

AttributeBag TcpConnectionAttributes(const WorkloadInfo& self, absl::string_view peer_ip,
                                    int64_t destination_port, absl::string_view peer_spiffe_id) {
  AttributeBag bag;
  bag["context.reporter.kind"] = std::string("inbound");
  bag["context.protocol"] = std::string("tcp");
  bag["context.time"] = absl::Now();
  bag["connection.event"] = std::string("open");
  bag["destination.port"] = destination_port;
  AddWorkload(self, "destination", bag);
  AddService(self.service_host, bag);
  const std::string ip(peer_ip);
  if (std::optional<mixer::Bytes> address =
          PeerAddress(absl::StrContains(ip, ':') ? "ipv6:[" + ip + "]:0" : "ipv4:" + ip + ":0")) {
    bag["source.ip"] = *address;
  }
  bag["connection.mtls"] = AddPeerIdentity(peer_spiffe_id, bag);
  return bag;
}

void AddTcpCloseAttributes(int64_t received_bytes, int64_t sent_bytes, absl::Duration duration,
                           AttributeBag& bag) {
  bag["connection.event"] = std::string("close");
  bag["connection.received.bytes"] = received_bytes;
  bag["connection.received.bytes_total"] = received_bytes;
  bag["connection.sent.bytes"] = sent_bytes;
  bag["connection.sent.bytes_total"] = sent_bytes;
  bag["connection.duration"] = duration;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewServerInterceptorFactory(std::shared_ptr<MixerClient> mixer, WorkloadInfo self) {
  return std::make_unique<ServerFactory>(std::move(mixer), std::move(self));
}

absl::Status InboundCheckStatus(const grpc::ServerContextBase* context) {
  return InboundAnswers::Get().Find(context);
}

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
NewClientInterceptorFactory(std::shared_ptr<MixerClient> mixer, WorkloadInfo self,
                            std::string destination_service_host) {
  return std::make_unique<ClientFactory>(std::move(mixer), std::move(self),
                                         std::move(destination_service_host));
}

}  // namespace keel::mixerclient
