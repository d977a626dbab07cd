// Test helpers: PushContexts from the bookinfo registry plus inline Istio
// YAML, and typed access to generated resources.
#ifndef KEEL_SERVICES_PILOT_TESTING_PUSH_CONTEXT_H_
#define KEEL_SERVICES_PILOT_TESTING_PUSH_CONTEXT_H_

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "libs/xds/resources.h"
#include "services/pilot/push/push_context.h"

namespace keel::pilot::testing {

// The bookinfo registry (services/pilot/testdata/bookinfo-services.yaml)
// plus each file of the shared Istio bookinfo samples named in `shared_files`.
std::shared_ptr<const PushContext> BookinfoContext(const std::vector<std::string>& shared_files);

// The bookinfo registry plus `yaml` (Istio documents), sorted as the store
// hands them over; every resource must parse and validate without errors.
std::vector<std::shared_ptr<const mesh::Resource>> BookinfoResourcesWith(const std::string& yaml);

// A context of BookinfoResourcesWith(yaml).
std::shared_ptr<const PushContext> BookinfoContextWith(const std::string& yaml,
                                                       const PushOptions& options = {});

// The generated resource `name` of `type`, unpacked (a test failure if absent).
template <typename Message>
Message Get(const xds::TypeResources& type, const std::string& name) {
  Message message;
  auto it = type.resources.find(name);
  EXPECT_NE(it, type.resources.end()) << name;
  if (it != type.resources.end()) {
    EXPECT_TRUE(it->second->body.UnpackTo(&message));
  }
  return message;
}

}  // namespace keel::pilot::testing

#endif  // KEEL_SERVICES_PILOT_TESTING_PUSH_CONTEXT_H_
