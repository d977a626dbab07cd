// Fuzz target: whatever a client sends as Check or Report attributes must
// decode or be refused, never crash or run away.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/mixer/attributes.h"
#include "proto/istio/mixer/v1/mixer.pb.h"

namespace {

// A dictionary the size of Istio 1.4's (222 words).
const keel::mixer::GlobalDictionary& Dictionary() {
  static const auto* dictionary = [] {
    std::string text;
    for (int i = 0; i < 222; ++i) absl::StrAppend(&text, "- word", i, "\n");
    return new keel::mixer::GlobalDictionary(*keel::mixer::GlobalDictionary::Parse(text));
  }();
  return *dictionary;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  istio::mixer::v1::CheckRequest check;
  if (check.ParseFromArray(data, static_cast<int>(size))) {
    (void)keel::mixer::Decode(check.attributes(), Dictionary(), check.global_word_count());
  }
  istio::mixer::v1::ReportRequest report;
  if (report.ParseFromArray(data, static_cast<int>(size))) {
    keel::mixer::DecodeBudget budget;
    (void)keel::mixer::DecodeReport(report, Dictionary(), budget);
  }
  return 0;
}
