// denier: answers a fixed status to every request a rule sends it.
//   params: {status: {code: 7, message: "Not allowed"}, validDuration: 5s, validUseCount: 1000}
#include "absl/strings/str_cat.h"
#include "services/mixer/adapters/adapter.h"

namespace keel::mixer {
namespace {

class Denier : public CheckAdapter {
 public:
  explicit Denier(CheckResult result) : result_(std::move(result)) {}
  CheckResult Check(const std::vector<InstanceValue>&) const override { return result_; }

 private:
  const CheckResult result_;
};

absl::StatusOr<std::unique_ptr<CheckAdapter>> NewDenier(const google::protobuf::Struct& params) {
  CheckResult result;
  int code = static_cast<int>(absl::StatusCode::kFailedPrecondition);  // Istio's default
  std::string message;
  if (auto it = params.fields().find("status"); it != params.fields().end()) {
    if (!it->second.has_struct_value()) {
      return absl::InvalidArgumentError("params.status: not an object");
    }
    const auto& status = it->second.struct_value().fields();
    if (auto c = status.find("code"); c != status.end()) {
      if (!c->second.has_number_value() || c->second.number_value() < 0 ||
          c->second.number_value() > 16) {
        return absl::InvalidArgumentError("params.status.code: not a gRPC status code (0..16)");
      }
      code = static_cast<int>(c->second.number_value());
    }
    if (auto m = status.find("message"); m != status.end()) message = m->second.string_value();
  }
  result.status = absl::Status(static_cast<absl::StatusCode>(code), message);
  absl::StatusOr<absl::Duration> valid = DurationParam(params, "validDuration", absl::Seconds(5));
  if (!valid.ok()) return valid.status();
  result.valid_duration = *valid;
  if (auto it = params.fields().find("validUseCount"); it != params.fields().end()) {
    result.valid_use_count = static_cast<int32_t>(it->second.number_value());
  }
  return std::make_unique<Denier>(std::move(result));
}

KEEL_REGISTER_CHECK_ADAPTER("denier", NewDenier);

}  // namespace
}  // namespace keel::mixer
