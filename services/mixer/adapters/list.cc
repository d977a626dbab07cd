// list (listchecker): whether an instance's value is on a list.
//   params: {overrides: [...], blacklist: false,
//            entryType: STRINGS | CASE_INSENSITIVE_STRINGS | REGEX | IP_ADDRESSES,
//            cachingInterval: 60s, cachingUseCount: 1000}
// A whitelist denies what is not on it; a blacklist denies what is.
#include <arpa/inet.h>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "re2/re2.h"
#include "services/mixer/adapters/adapter.h"

namespace keel::mixer {
namespace {

// An IPv4 or IPv6 network.
struct Network {
  std::string prefix;  // network bytes
  int bits = 0;
  bool Contains(const std::string& address) const {
    if (address.size() != prefix.size()) return false;
    for (int i = 0; i < bits; ++i) {
      const int byte = i / 8, bit = 7 - i % 8;
      if (((address[byte] >> bit) & 1) != ((prefix[byte] >> bit) & 1)) return false;
    }
    return true;
  }
};

absl::StatusOr<Network> ParseNetwork(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits('/', 1));
  unsigned char bytes[16];
  Network network;
  if (inet_pton(AF_INET, parts[0].c_str(), bytes) == 1) {
    network.prefix.assign(reinterpret_cast<char*>(bytes), 4);
  } else if (inet_pton(AF_INET6, parts[0].c_str(), bytes) == 1) {
    network.prefix.assign(reinterpret_cast<char*>(bytes), 16);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not an IP address or range"));
  }
  network.bits = static_cast<int>(network.prefix.size() * 8);
  if (parts.size() == 2 && (!absl::SimpleAtoi(parts[1], &network.bits) || network.bits < 0 ||
                            network.bits > static_cast<int>(network.prefix.size() * 8))) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\": bad prefix length"));
  }
  return network;
}

class ListChecker : public CheckAdapter {
 public:
  enum class Entries { kStrings, kCaseInsensitive, kRegex, kIp };

  CheckResult Check(const std::vector<InstanceValue>& instances) const override {
    CheckResult result{.valid_duration = caching_interval_, .valid_use_count = caching_use_count_};
    for (const InstanceValue& instance : instances) {
      auto field = instance.fields.find("value");
      if (field == instance.fields.end()) continue;
      std::string shown;
      const bool listed = Listed(field->second, shown);
      if (listed == blacklist_) {
        result.status = absl::PermissionDeniedError(
            absl::StrCat(shown, blacklist_ ? " is blacklisted" : " is not whitelisted"));
        return result;
      }
    }
    return result;
  }

  bool Listed(const AttributeValue& value, std::string& shown) const {
    if (entries_ == Entries::kIp) {
      std::string address;
      if (const auto* bytes = std::get_if<Bytes>(&value)) {
        address = bytes->data;
        char text[64] = {0};
        inet_ntop(address.size() == 4 ? AF_INET : AF_INET6, address.data(), text, sizeof(text));
        shown = text;
      } else if (const auto* text = std::get_if<std::string>(&value)) {
        shown = *text;
        absl::StatusOr<Network> parsed = ParseNetwork(*text);
        if (!parsed.ok()) return false;
        address = parsed->prefix;
      }
      for (const Network& network : networks_) {
        if (network.Contains(address)) return true;
      }
      return false;
    }
    const auto* text = std::get_if<std::string>(&value);
    if (text == nullptr) return false;
    shown = *text;
    switch (entries_) {
      case Entries::kStrings:
        return strings_.count(*text) > 0;
      case Entries::kCaseInsensitive:
        return strings_.count(absl::AsciiStrToLower(*text)) > 0;
      case Entries::kRegex:
        for (const auto& re : regexes_) {
          if (RE2::FullMatch(*text, *re)) return true;
        }
        return false;
      default:
        return false;
    }
  }

  bool blacklist_ = false;
  Entries entries_ = Entries::kStrings;
  std::set<std::string> strings_;
  std::vector<std::unique_ptr<RE2>> regexes_;
  std::vector<Network> networks_;
  absl::Duration caching_interval_ = absl::Seconds(60);
  int32_t caching_use_count_ = 10000;
};

absl::StatusOr<std::unique_ptr<CheckAdapter>> NewListChecker(const google::protobuf::Struct& params) {
  auto list = std::make_unique<ListChecker>();
  const auto& fields = params.fields();
  if (auto it = fields.find("blacklist"); it != fields.end()) list->blacklist_ = it->second.bool_value();
  if (auto it = fields.find("entryType"); it != fields.end()) {
    const std::string& type = it->second.string_value();
    if (type == "STRINGS") {
      list->entries_ = ListChecker::Entries::kStrings;
    } else if (type == "CASE_INSENSITIVE_STRINGS") {
      list->entries_ = ListChecker::Entries::kCaseInsensitive;
    } else if (type == "REGEX") {
      list->entries_ = ListChecker::Entries::kRegex;
    } else if (type == "IP_ADDRESSES") {
      list->entries_ = ListChecker::Entries::kIp;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "params.entryType: \"", type,
          "\" is not STRINGS, CASE_INSENSITIVE_STRINGS, REGEX or IP_ADDRESSES"));
    }
  }
  if (auto it = fields.find("overrides"); it != fields.end()) {
    for (const auto& entry : it->second.list_value().values()) {
      const std::string& text = entry.string_value();
      switch (list->entries_) {
        case ListChecker::Entries::kStrings:
          list->strings_.insert(text);
          break;
        case ListChecker::Entries::kCaseInsensitive:
          list->strings_.insert(absl::AsciiStrToLower(text));
          break;
        case ListChecker::Entries::kRegex: {
          RE2::Options options;
          options.set_log_errors(false);
          options.set_max_mem(1 << 20);
          auto re = std::make_unique<RE2>(text, options);
          if (!re->ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat("params.overrides: bad regex \"", text, "\": ", re->error()));
          }
          list->regexes_.push_back(std::move(re));
          break;
        }
        case ListChecker::Entries::kIp: {
          absl::StatusOr<Network> network = ParseNetwork(text);
          if (!network.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat("params.overrides: ", network.status().message()));
          }
          list->networks_.push_back(*network);
          break;
        }
      }
    }
  }
  absl::StatusOr<absl::Duration> interval =
      DurationParam(params, "cachingInterval", absl::Seconds(60));
  if (!interval.ok()) return interval.status();
  list->caching_interval_ = *interval;
  if (auto it = fields.find("cachingUseCount"); it != fields.end()) {
    list->caching_use_count_ = static_cast<int32_t>(it->second.number_value());
  }
  return list;
}

// Istio 1.4 names it "listchecker"; "list" is accepted too.
absl::StatusOr<std::unique_ptr<CheckAdapter>> NewList(const google::protobuf::Struct& params) {
  return NewListChecker(params);
}

KEEL_REGISTER_CHECK_ADAPTER("listchecker", NewListChecker);
KEEL_REGISTER_CHECK_ADAPTER("list", NewList);

}  // namespace
}  // namespace keel::mixer
