// Readiness of a service: not ready until it holds its full state.
//
// /readyz and the gRPC health service both read it, so that a load balancer
// and a gRPC client see the same answer.
#ifndef KEEL_LIBS_COMMON_READINESS_H_
#define KEEL_LIBS_COMMON_READINESS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace keel {

class Readiness {
 public:
  using Listener = std::function<void(bool ready)>;

  // Starts not ready, with `reason` as the explanation.
  explicit Readiness(std::string reason = "starting");

  // SetReady marks the service ready.
  void SetReady();
  // SetNotReady marks it not ready, with a reason shown on /readyz.
  void SetNotReady(std::string reason);

  bool IsReady() const;
  // Reason returns why the service is not ready ("" when ready).
  std::string Reason() const;

  // OnChange calls `listener` now and after each change of state.
  void OnChange(Listener listener);

 private:
  void Notify(bool ready);

  mutable absl::Mutex mu_;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  std::string reason_ ABSL_GUARDED_BY(mu_);
  std::vector<Listener> listeners_ ABSL_GUARDED_BY(mu_);
};

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_READINESS_H_
