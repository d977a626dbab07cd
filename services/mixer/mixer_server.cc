#include "services/mixer/mixer_server.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "libs/mtls/control_plane.h"

namespace keel::mixer {
namespace {

// Over mTLS the caller's own identity is its certificate's (`peer`, "" in
// plaintext), whatever the attributes claim: the source's when it reports
// as the client (context.reporter.kind "outbound"), else the destination's.
// The other side's identity is what the authenticated caller saw on its
// connection.
void TakeCallerIdentity(const std::string& peer, AttributeBag& bag) {
  if (peer.empty()) return;  // --insecure_plaintext: the attributes are all there is
  auto kind = bag.find("context.reporter.kind");
  const bool outbound = kind != bag.end() && std::holds_alternative<std::string>(kind->second) &&
                        std::get<std::string>(kind->second) == "outbound";
  SetPrincipal(peer, outbound ? "source" : "destination", bag);
}

constexpr absl::string_view kNoConfigYet =
    "Mixer has not yet received a whole config from Galley; ask again";

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

void SetDuration(absl::Duration d, google::protobuf::Duration* out) {
  out->set_seconds(absl::ToInt64Seconds(d));
  out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d - absl::Seconds(out->seconds()))));
}

}  // namespace

MixerServer::MixerServer(const GlobalDictionary* dictionary, PolicyProvider policy,
                         MetricsRegistry& metrics, RequestLimits limits)
    : dictionary_(dictionary),
      policy_(std::move(policy)),
      limits_(limits),
      inflight_(limits.max_inflight_decoded_bytes),
      checks_(prometheus::BuildCounter()
                  .Name("mixer_checks_total")
                  .Help("Check requests, by the precondition code answered.")
                  .Register(metrics.registry())),
      report_sets_(prometheus::BuildCounter()
                       .Name("mixer_report_attribute_sets_total")
                       .Help("Attribute sets received in Report requests.")
                       .Register(metrics.registry())
                       .Add({})),
      reports_refused_(prometheus::BuildCounter()
                           .Name("mixer_reports_refused_total")
                           .Help("Report requests refused, by the code answered.")
                           .Register(metrics.registry())) {}

grpc::ServerUnaryReactor* MixerServer::Check(grpc::CallbackServerContext* context,
                                             const istio::mixer::v1::CheckRequest* request,
                                             istio::mixer::v1::CheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::shared_ptr<const Policy> policy = policy_();
  if (policy == nullptr) {
    checks_.Add({{"code", "UNAVAILABLE"}}).Increment();
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(kNoConfigYet)));
    return reactor;
  }
  // The config version lets a client's cache drop answers of older config.
  context->AddInitialMetadata(std::string(kConfigVersionMetadata),
                              absl::StrCat(absl::Hex(policy->version(), absl::kZeroPad16)));
  reactor->Finish(DoCheck(*context, *policy, *request, *response));
  return reactor;
}

grpc::Status MixerServer::DoCheck(const grpc::ServerContextBase& context, const Policy& policy,
                                  const istio::mixer::v1::CheckRequest& request,
                                  istio::mixer::v1::CheckResponse& response) {
  if (request.deduplication_id().size() > limits_.max_deduplication_id_bytes) {
    checks_.Add({{"code", "INVALID_ARGUMENT"}}).Increment();
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("deduplication_id of ", request.deduplication_id().size(),
                                     " bytes; the limit is ", limits_.max_deduplication_id_bytes));
  }
  DecodeBudget budget(limits_.decode, &inflight_);
  AttributeBag bag;
  if (absl::Status decoded = DecodeInto(request.attributes(), *dictionary_,
                                        request.global_word_count(), {}, bag, budget,
                                        limits_.decode);
      !decoded.ok()) {
    checks_.Add({{"code", absl::StatusCodeToString(decoded.code())}}).Increment();
    return ToGrpc(decoded);
  }
  TakeCallerIdentity(mtls::PeerSpiffeId(context), bag);
  absl::flat_hash_set<AttributeReference> referenced;
  policy.AddApiAttributes(bag, &referenced);
  const CheckResult result = policy.Check(bag, &referenced);
  auto* precondition = response.mutable_precondition();
  std::vector<AttributeReference> sorted(referenced.begin(), referenced.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return std::tie(a.name, a.map_key) < std::tie(b.name, b.map_key);
  });
  *precondition->mutable_referenced_attributes() =
      EncodeReferences(sorted, bag, *dictionary_, request.global_word_count());
  precondition->mutable_status()->set_code(static_cast<int>(result.status.code()));
  precondition->mutable_status()->set_message(std::string(result.status.message()));
  SetDuration(result.valid_duration, precondition->mutable_valid_duration());
  precondition->set_valid_use_count(result.valid_use_count);
  // Quotas: what the rules' quota adapters grant; a quota no rule limits
  // is granted whole.
  for (const auto& [name, params] : request.quotas()) {
    auto& quota = (*response.mutable_quotas())[name];
    std::optional<QuotaGrant> grant =
        policy.Quota(bag, name,
                      QuotaRequest{.amount = params.amount(),
                                   .best_effort = params.best_effort(),
                                   .deduplication_id = request.deduplication_id()});
    quota.set_granted_amount(grant.has_value() ? grant->granted : params.amount());
    SetDuration(grant.has_value() ? grant->valid_duration : result.valid_duration,
                quota.mutable_valid_duration());
  }
  // Quotas the request is charged by QuotaSpecs, beyond those it asked for:
  // an answer that spent quota must not be reused from a client's cache.
  if (result.status.ok()) {
    for (const QuotaCharge& charge : policy.SpecQuotas(bag)) {
      if (request.quotas().count(charge.quota) > 0) continue;
      std::optional<QuotaGrant> grant = policy.Quota(
          bag, charge.quota,
          QuotaRequest{.amount = charge.charge, .deduplication_id = request.deduplication_id()});
      SetDuration(absl::ZeroDuration(), precondition->mutable_valid_duration());
      precondition->set_valid_use_count(1);
      if (grant.has_value() && grant->granted < charge.charge) {
        precondition->mutable_status()->set_code(static_cast<int>(absl::StatusCode::kResourceExhausted));
        precondition->mutable_status()->set_message("Quota is exhausted for: " + charge.quota);
        checks_.Add({{"code", "RESOURCE_EXHAUSTED"}}).Increment();
        return grpc::Status::OK;
      }
    }
  }
  checks_.Add({{"code", absl::StatusCodeToString(result.status.code())}}).Increment();
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* MixerServer::Report(grpc::CallbackServerContext* context,
                                              const istio::mixer::v1::ReportRequest* request,
                                              istio::mixer::v1::ReportResponse*) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::shared_ptr<const Policy> policy = policy_();
  if (policy == nullptr) {
    reports_refused_.Add({{"code", "UNAVAILABLE"}}).Increment();
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(kNoConfigYet)));
    return reactor;
  }
  reactor->Finish(DoReport(*context, *policy, *request));
  return reactor;
}

grpc::Status MixerServer::DoReport(const grpc::ServerContextBase& context, const Policy& policy,
                                   const istio::mixer::v1::ReportRequest& request) {
  // Every set decodes before any is reported: a batch is taken whole or not at all.
  DecodeBudget budget(limits_.decode, &inflight_);
  absl::StatusOr<std::vector<AttributeBag>> bags =
      DecodeReport(request, *dictionary_, budget, limits_.decode);
  if (!bags.ok()) {
    reports_refused_.Add({{"code", absl::StatusCodeToString(bags.status().code())}}).Increment();
    return ToGrpc(bags.status());
  }
  const std::string peer = mtls::PeerSpiffeId(context);
  for (AttributeBag& one : *bags) {
    TakeCallerIdentity(peer, one);
    policy.AddApiAttributes(one);
    policy.Report(one);
  }
  report_sets_.Increment(request.attributes_size());
  return grpc::Status::OK;
}

}  // namespace keel::mixer
