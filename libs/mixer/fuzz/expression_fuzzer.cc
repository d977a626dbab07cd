// Fuzz target: any expression text an operator (or an attacker with config
// access) writes must compile or be refused, and a compiled one must
// evaluate without crashing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "libs/mixer/expression.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace vt = istio::policy::v1beta1;
  static const auto* types = new keel::mixer::AttributeTypes{
      {"source.user", vt::STRING},         {"source.ip", vt::IP_ADDRESS},
      {"request.headers", vt::STRING_MAP}, {"request.path", vt::STRING},
      {"response.code", vt::INT64},        {"connection.mtls", vt::BOOL}};
  static const auto* bag = new keel::mixer::AttributeBag{
      {"request.headers", keel::mixer::StringMap{{"x-user", "john"}}},
      {"request.path", std::string("/a")},
      {"response.code", int64_t{200}}};
  absl::StatusOr<keel::mixer::Expression> expression = keel::mixer::Expression::Compile(
      std::string(reinterpret_cast<const char*>(data), size), *types);
  if (expression.ok()) (void)expression->Evaluate(*bag);
  return 0;
}
