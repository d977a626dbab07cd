// MixerService's config intake: whatever order Galley's kinds arrive in and
// whatever configs were refused on the way, Mixer enforces exactly the last
// whole config that compiled, and nothing before it has one.
#include "services/mixer/mixer_service.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/http_server.h"
#include "libs/common/metrics.h"
#include "libs/common/readiness.h"
#include "libs/common/service_host.h"
#include "libs/mesh/mcp.h"
#include "libs/mesh/resource.h"
#include "libs/mesh/schema.h"

namespace keel::mixer {
namespace {

// A feed the test drives: it hands each update to Mixer's handler and
// remembers whether it was accepted.
class ScriptedFeed : public xds::ConfigFeed {
 public:
  explicit ScriptedFeed(Handler handler) : handler_(std::move(handler)) {}
  void Subscribe(const std::string& type_url, std::set<std::string>) override {
    subscribed.push_back(type_url);
  }
  void Start() override {}
  void Stop() override {}
  bool connected() const override { return true; }
  absl::Status Deliver(const xds::ResourceUpdate& update) { return handler_(update); }

  std::vector<std::string> subscribed;

 private:
  Handler handler_;
};

constexpr char kUsers[][8] = {"alice", "bob", "carol", "dave", "erin"};

// One blacklist: a list handler denying `user` (or a regex that does not
// compile), the listentry instance reading x-user, and the rule between.
struct Blacklist {
  int id;
  int user;
  bool broken;
};

std::string Yaml(const Blacklist& b) {
  const std::string name = absl::StrCat("deny", b.id);
  const std::string entry = b.broken ? "entryType: REGEX, overrides: ['(unclosed']"
                                     : absl::StrCat("entryType: STRINGS, overrides: [", kUsers[b.user], "]");
  return absl::StrCat(R"(apiVersion: config.istio.io/v1alpha2
kind: handler
metadata: {name: )", name, R"(, namespace: istio-system}
spec: {compiledAdapter: list, params: {blacklist: true, )", entry, R"(}}
---
apiVersion: config.istio.io/v1alpha2
kind: instance
metadata: {name: )", name, R"(, namespace: istio-system}
spec: {compiledTemplate: listentry, params: {value: 'request.headers["x-user"] | ""'}}
---
apiVersion: config.istio.io/v1alpha2
kind: rule
metadata: {name: )", name, R"(, namespace: istio-system}
spec: {actions: [{handler: )", name, R"(, instances: [)", name, R"(]}]}
---
)");
}

constexpr char kManifest[] = R"(apiVersion: config.istio.io/v1alpha2
kind: attributemanifest
metadata: {name: istioproxy, namespace: istio-system}
spec:
  attributes:
    request.headers: {valueType: STRING_MAP}
    destination.namespace: {valueType: STRING}
)";

// Type URL -> "namespace/name" -> resource.
using Config = std::map<std::string, std::map<std::string, std::shared_ptr<const mesh::Resource>>>;

Config Parse(const std::string& yaml) {
  mesh::ParsedFile parsed = mesh::ParseConfigFile("mixer.yaml", yaml);
  EXPECT_TRUE(parsed.diagnostics.empty()) << parsed.diagnostics[0].ToString();
  Config out;
  for (mesh::Resource& r : parsed.resources) {
    auto resource = std::make_shared<const mesh::Resource>(std::move(r));
    out[resource->kind->type_url()][mesh::McpName(*resource)] = resource;
  }
  return out;
}

// The delta update that takes `from` to `to` for one type.
xds::ResourceUpdate Delta(const std::string& type_url, const Config& from, const Config& to,
                          int version) {
  xds::ResourceUpdate update{.type_url = type_url, .version = absl::StrCat(version)};
  static const std::map<std::string, std::shared_ptr<const mesh::Resource>> kNone;
  const auto& before = from.count(type_url) ? from.at(type_url) : kNone;
  const auto& after = to.count(type_url) ? to.at(type_url) : kNone;
  for (const auto& [name, resource] : before) {
    if (!after.count(name)) update.removed.insert(name);
  }
  for (const auto& [name, resource] : after) {
    auto it = before.find(name);
    if (it != before.end() && it->second->ContentHash() == resource->ContentHash()) continue;
    auto wire = std::make_shared<xds::XdsResource>();
    wire->name = name;
    wire->body = mesh::EncodeMcp(*resource);
    update.updated[name] = std::move(wire);
  }
  return update;
}

class MixerIntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MixerOptions options;
    options.config_feed = [this](xds::ConfigFeed::Handler handler) {
      auto feed = std::make_unique<ScriptedFeed>(std::move(handler));
      feed_ = feed.get();
      return feed;
    };
    mixer_ = std::make_unique<MixerService>(std::move(options));
    absl::StatusOr<std::unique_ptr<HttpServer>> http = HttpServer::Start("127.0.0.1:0");
    ASSERT_TRUE(http.ok()) << http.status();
    http_ = *std::move(http);
    pages_ = std::make_unique<DebugPages>(*http_, "");
    context_ = std::make_unique<ServiceContext>(
        ServiceContext{.metrics = metrics_, .readiness = readiness_, .debug_pages = *pages_});
    ASSERT_TRUE(mixer_->Start(*context_).ok());
    ASSERT_NE(feed_, nullptr);
  }

  // The users the policy in force denies; nullopt when there is none.
  std::optional<std::set<std::string>> Denied() const {
    std::shared_ptr<const Policy> policy = mixer_->policy();
    if (policy == nullptr) return std::nullopt;
    std::set<std::string> denied;
    for (const char* user : kUsers) {
      AttributeBag bag = {{"request.headers", StringMap{{"x-user", user}}},
                          {"destination.namespace", std::string("default")}};
      if (!policy->Check(bag).status.ok()) denied.insert(user);
    }
    return denied;
  }

  MetricsRegistry metrics_{"mixer"};
  Readiness readiness_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<DebugPages> pages_;
  std::unique_ptr<ServiceContext> context_;
  std::unique_ptr<MixerService> mixer_;
  ScriptedFeed* feed_ = nullptr;
};

TEST_F(MixerIntakeTest, NothingIsEnforcedUntilEveryKindHasArrived) {
  EXPECT_FALSE(Denied().has_value());
  EXPECT_FALSE(readiness_.IsReady());
  const Config config = Parse(std::string(kManifest) + "---\n" + Yaml({0, 1, false}));
  int version = 0;
  for (const std::string& type_url : feed_->subscribed) {
    EXPECT_FALSE(Denied().has_value()) << "a policy before " << type_url << " arrived";
    ASSERT_TRUE(feed_->Deliver(Delta(type_url, {}, config, ++version)).ok());
  }
  EXPECT_EQ(Denied(), std::set<std::string>({"bob"}));
  EXPECT_TRUE(readiness_.IsReady());
}

// The reported case: one edit adds a blacklist whose handler is refused; the
// fix comes in the handler's kind alone, after the rule's update was
// refused for naming a handler Mixer did not have.
TEST_F(MixerIntakeTest, AFixInOneKindBringsInTheRuleRefusedInAnother) {
  const Config before = Parse(std::string(kManifest));
  int version = 0;
  for (const std::string& type_url : feed_->subscribed) {
    ASSERT_TRUE(feed_->Deliver(Delta(type_url, {}, before, ++version)).ok());
  }
  EXPECT_EQ(Denied(), std::set<std::string>());
  const std::string handler = mesh::FindKindByName("handler")->type_url();
  const std::string instance = mesh::FindKindByName("instance")->type_url();
  const std::string rule = mesh::FindKindByName("rule")->type_url();
  const Config broken = Parse(std::string(kManifest) + "---\n" + Yaml({0, 0, true}));
  EXPECT_FALSE(feed_->Deliver(Delta(handler, before, broken, ++version)).ok());
  EXPECT_FALSE(feed_->Deliver(Delta(instance, before, broken, ++version)).ok());
  EXPECT_FALSE(feed_->Deliver(Delta(rule, before, broken, ++version)).ok());
  EXPECT_EQ(Denied(), std::set<std::string>());
  const Config fixed = Parse(std::string(kManifest) + "---\n" + Yaml({0, 0, false}));
  ASSERT_TRUE(feed_->Deliver(Delta(handler, broken, fixed, ++version)).ok());
  EXPECT_EQ(Denied(), std::set<std::string>({"alice"}));
  // Deleted in Galley: no longer denies, whichever kind goes first.
  EXPECT_FALSE(feed_->Deliver(Delta(handler, fixed, before, ++version)).ok());
  EXPECT_EQ(Denied(), std::set<std::string>({"alice"}));
  ASSERT_TRUE(feed_->Deliver(Delta(rule, fixed, before, ++version)).ok());
  EXPECT_EQ(Denied(), std::set<std::string>());
}

// The property: over random sequences of good and refused configs, each
// delivered kind by kind in a random order, once a config has fully
// arrived Mixer enforces exactly the last good one.
TEST_F(MixerIntakeTest, EnforcesExactlyTheLastConfigThatCompiled) {
  std::mt19937 random(20261207);
  Config sent;  // what Galley has sent so far
  std::optional<std::set<std::string>> expected;
  int version = 0;
  for (int step = 0; step < 200; ++step) {
    std::vector<Blacklist> lists;
    std::set<std::string> denies;
    bool good = true;
    const int count = static_cast<int>(random() % 4);
    for (int i = 0; i < count; ++i) {
      // Ids from a small pool, so configs change, keep and delete the same names.
      Blacklist list{.id = static_cast<int>(random() % 5), .user = static_cast<int>(random() % 5),
                     .broken = random() % 4 == 0};
      if (std::any_of(lists.begin(), lists.end(), [&](const Blacklist& b) { return b.id == list.id; })) {
        continue;
      }
      lists.push_back(list);
      good &= !list.broken;
      if (!list.broken) denies.insert(kUsers[list.user]);
    }
    std::string yaml = kManifest;
    for (const Blacklist& list : lists) absl::StrAppend(&yaml, "---\n", Yaml(list));
    const Config next = Parse(yaml);
    std::vector<std::string> order = feed_->subscribed;
    std::shuffle(order.begin(), order.end(), random);
    for (const std::string& type_url : order) {
      (void)feed_->Deliver(Delta(type_url, sent, next, ++version));
    }
    sent = next;
    if (good) expected = denies;
    ASSERT_EQ(Denied(), expected) << "step " << step << ":\n" << yaml;
  }
}

}  // namespace
}  // namespace keel::mixer
