// ApiClient: requests to a Kubernetes API server over verified TLS, and
// watches read as the server streams them (one JSON event per line).
//
//   KEEL_ASSIGN_OR_RETURN(auto client, kube::ApiClient::Create(access));
//   KEEL_ASSIGN_OR_RETURN(kube::ApiResponse r, client->Call({.target = "/api/v1/services"}));
//   client->Stream("/api/v1/pods?watch=1", [](std::string_view event) { ...; return true; }, cancel);
#ifndef KEEL_LIBS_KUBE_API_CLIENT_H_
#define KEEL_LIBS_KUBE_API_CLIENT_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/kube/access.h"

namespace keel::kube {

struct ApiRequest {
  std::string method = "GET";
  std::string target;  // path and query: "/api/v1/namespaces/default/pods"
  std::string body;
  std::string content_type = "application/json";
  absl::Duration timeout = absl::Seconds(30);
};

struct ApiResponse {
  int status = 0;
  std::string body;
};

// StreamCancel ends a Stream from another thread (Stop of a watcher).
class StreamCancel {
 public:
  void Cancel();
  bool cancelled() const;

 private:
  friend class ApiClient;
  // Registers the stream's stop function; false if already cancelled.
  bool Attach(std::function<void()> stop);
  void Detach();
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> stop_ ABSL_GUARDED_BY(mu_);
};

class ApiClient {
 public:
  // Create checks the access's certificates and keys. InvalidArgument names
  // what cannot be loaded.
  static absl::StatusOr<std::unique_ptr<ApiClient>> Create(ClusterAccess access);
  ~ApiClient();

  // Call sends one request and returns the response whatever its status.
  // Unavailable when the server cannot be reached, verified, or answer in
  // time.
  absl::StatusOr<ApiResponse> Call(const ApiRequest& request);

  // Stream GETs `target` and hands each line of a 200 response's body to
  // `on_line` as it arrives, until the server ends the response (OK),
  // `on_line` returns false (OK), `cancel` is cancelled (Cancelled), or the
  // connection fails or stays silent for `idle_timeout` (Unavailable). A
  // response other than 200 is returned as FailedPrecondition with
  // `*status` set to its code and the body in the message.
  absl::Status Stream(const std::string& target,
                      const std::function<bool(std::string_view line)>& on_line,
                      StreamCancel& cancel, absl::Duration idle_timeout = absl::Minutes(6),
                      int* status = nullptr);

  const ClusterAccess& access() const { return access_; }

 private:
  class Tls;
  ApiClient(ClusterAccess access, std::unique_ptr<Tls> tls);
  ClusterAccess access_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace keel::kube

#endif  // KEEL_LIBS_KUBE_API_CLIENT_H_
