// redisquota: Istio's shared rate limits, counted in Redis so that every
// Mixer replica draws on the same limit.
//   params: {redisServerUrl: "redis:6379", connectionPoolSize: 10,
//            failOpen: false,   # Keel's: grant (true) or refuse while Redis is down
//            quotas: [{name: requestcountquota.instance.istio-system, maxAmount: 500,
//                      validDuration: 1s, bucketDuration: 500ms,
//                      rateLimitAlgorithm: ROLLING_WINDOW | FIXED_WINDOW,
//                      overrides: [{dimensions: {destination: reviews}, maxAmount: 1}]}]}
//
// Each allocation is one Lua script run atomically in Redis, on Redis's
// clock (replicas with skewed clocks still share windows). A window's usage
// is a hash of per-bucket amounts: a rolling window sums the buckets within
// validDuration, a fixed window has one bucket per validDuration.
#include <sys/time.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "hiredis/hiredis.h"
#include "services/mixer/adapters/adapter.h"
#include "services/mixer/adapters/quota_config.h"
#include "spdlog/spdlog.h"

namespace keel::mixer {
namespace {

// KEYS[1]: the usage hash; KEYS[2]: the deduplication key ("" for none).
// ARGV: max amount, window (µs), bucket (µs), rolling (1/0), amount,
// best effort (1/0), how long a deduplication id is remembered (ms).
constexpr char kAllocScript[] = R"lua(
local max, window, bucket = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local rolling, amount, best_effort = ARGV[4] == '1', tonumber(ARGV[5]), ARGV[6] == '1'
if KEYS[2] ~= '' then
  local seen = redis.call('GET', KEYS[2])
  if seen then return tonumber(seen) end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local slot, stale
if rolling then
  slot = math.floor(now / bucket)
  stale = math.floor((now - window) / bucket)
else
  slot = math.floor(now / window)
  stale = slot - 1
end
local used = 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if tonumber(fields[i]) <= stale then
    redis.call('HDEL', KEYS[1], fields[i])
  else
    used = used + tonumber(fields[i + 1])
  end
end
local left = math.max(0, max - used)
local granted = 0
if amount <= left then granted = amount elseif best_effort then granted = left end
if granted > 0 then
  redis.call('HINCRBY', KEYS[1], string.format('%d', slot), granted)
end
redis.call('PEXPIRE', KEYS[1], math.ceil((window + bucket) / 1000))
if KEYS[2] ~= '' then
  redis.call('SET', KEYS[2], granted, 'PX', ARGV[7])
end
return granted
)lua";

constexpr absl::Duration kConnectTimeout = absl::Milliseconds(500);
constexpr absl::Duration kCommandTimeout = absl::Seconds(1);

class RedisQuota final : public QuotaAdapter {
 public:
  static absl::StatusOr<std::unique_ptr<QuotaAdapter>> FromParams(
      const google::protobuf::Struct& params) {
    auto quota = std::unique_ptr<RedisQuota>(new RedisQuota());
    const auto& fields = params.fields();
    auto url = fields.find("redisServerUrl");
    if (url == fields.end() || url->second.string_value().empty()) {
      return absl::InvalidArgumentError("params.redisServerUrl: required (host:port)");
    }
    absl::string_view address = url->second.string_value();
    absl::ConsumePrefix(&address, "redis://");
    const size_t colon = address.rfind(':');
    uint32_t port = 0;
    if (colon == absl::string_view::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
        port == 0 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(
          "params.redisServerUrl: \"", url->second.string_value(), "\" is not host:port"));
    }
    quota->host_ = std::string(address.substr(0, colon));
    quota->port_ = static_cast<int>(port);
    int pool = 10;
    if (auto size = fields.find("connectionPoolSize"); size != fields.end()) {
      pool = static_cast<int>(size->second.number_value());
      if (pool < 1 || pool > 1000) {
        return absl::InvalidArgumentError("params.connectionPoolSize: must be 1..1000");
      }
    }
    if (auto open = fields.find("failOpen"); open != fields.end()) {
      quota->fail_open_ = open->second.bool_value();
    }
    absl::StatusOr<std::vector<QuotaDefinition>> quotas = ReadQuotas(params);
    if (!quotas.ok()) return quotas.status();
    quota->quotas_ = *std::move(quotas);
    for (int i = 0; i < pool; ++i) quota->pool_.push_back(std::make_unique<Connection>());
    return std::unique_ptr<QuotaAdapter>(std::move(quota));
  }

  QuotaGrant Alloc(const InstanceValue& instance, const QuotaRequest& request) override {
    std::optional<SelectedLimit> selected = SelectLimit(quotas_, instance);
    if (!selected.has_value()) return QuotaGrant{.granted = request.amount};  // not limited here
    const QuotaLimit& limit = *selected->limit;
    const std::string usage_key = "keel:quota:" + selected->key;
    const std::string dedup_key =
        request.deduplication_id.empty() ? "" : usage_key + "#" + request.deduplication_id;
    const std::vector<std::string> args = {
        "EVAL",
        kAllocScript,
        "2",
        usage_key,
        dedup_key,
        absl::StrCat(limit.max_amount),
        absl::StrCat(absl::ToInt64Microseconds(limit.window)),
        absl::StrCat(absl::ToInt64Microseconds(
            selected->quota->rolling_window ? selected->quota->bucket : limit.window)),
        selected->quota->rolling_window ? "1" : "0",
        absl::StrCat(request.amount),
        request.best_effort ? "1" : "0",
        absl::StrCat(absl::ToInt64Milliseconds(std::max(limit.window, absl::Seconds(30)))),
    };
    absl::StatusOr<int64_t> granted = Run(args);
    if (!granted.ok()) {
      spdlog::warn("redisquota {}: {}; answering {}", selected->key,
                   std::string(granted.status().message()), fail_open_ ? "open" : "closed");
      return QuotaGrant{.granted = fail_open_ ? request.amount : 0, .valid_duration = limit.window};
    }
    return QuotaGrant{.granted = *granted, .valid_duration = limit.window};
  }

 private:
  struct Connection {
    absl::Mutex mu;
    redisContext* context ABSL_GUARDED_BY(mu) = nullptr;
    ~Connection() {
      absl::MutexLock lock(&mu);
      if (context != nullptr) redisFree(context);
    }
  };

  RedisQuota() = default;

  // Run sends one command on a pooled connection, (re)connecting as needed;
  // any failure drops the connection so the next use starts afresh.
  absl::StatusOr<int64_t> Run(const std::vector<std::string>& args) {
    Connection& connection = *pool_[next_.fetch_add(1) % pool_.size()];
    absl::MutexLock lock(&connection.mu);
    if (connection.context == nullptr) {
      redisContext* context = redisConnectWithTimeout(host_.c_str(), port_, absl::ToTimeval(kConnectTimeout));
      if (context == nullptr || context->err != 0) {
        std::string why = context == nullptr ? "out of memory" : context->errstr;
        if (context != nullptr) redisFree(context);
        return absl::UnavailableError(absl::StrCat("cannot reach Redis at ", host_, ":", port_, ": ", why));
      }
      redisSetTimeout(context, absl::ToTimeval(kCommandTimeout));
      connection.context = context;
    }
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    auto* reply = static_cast<redisReply*>(redisCommandArgv(
        connection.context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (reply == nullptr) {
      std::string why = connection.context->errstr;
      redisFree(connection.context);
      connection.context = nullptr;
      return absl::UnavailableError(absl::StrCat("Redis at ", host_, ":", port_, ": ", why));
    }
    std::unique_ptr<redisReply, void (*)(void*)> owned(reply, freeReplyObject);
    if (reply->type == REDIS_REPLY_INTEGER) return static_cast<int64_t>(reply->integer);
    if (reply->type == REDIS_REPLY_ERROR) {
      return absl::InternalError(absl::StrCat("Redis: ", std::string(reply->str, reply->len)));
    }
    return absl::InternalError(absl::StrCat("Redis answered type ", reply->type));
  }

  std::string host_;
  int port_ = 0;
  bool fail_open_ = false;
  std::vector<QuotaDefinition> quotas_;
  std::vector<std::unique_ptr<Connection>> pool_;
  std::atomic<size_t> next_{0};
};

absl::StatusOr<std::unique_ptr<QuotaAdapter>> NewRedisQuota(const google::protobuf::Struct& params) {
  return RedisQuota::FromParams(params);
}

KEEL_REGISTER_QUOTA_ADAPTER("redisquota", NewRedisQuota);

}  // namespace
}  // namespace keel::mixer
