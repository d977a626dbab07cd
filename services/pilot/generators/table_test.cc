#include "services/pilot/generators/table.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/mesh/resource.h"
#include "absl/strings/str_cat.h"
#include "services/pilot/generators/generators.h"
#include "services/pilot/push/push_context.h"
#include "services/pilot/testing/push_context.h"

namespace keel::pilot {
namespace {

namespace kinds = mesh::kinds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::BookinfoResourcesWith;

std::vector<std::string> Affected(std::initializer_list<std::string_view> kinds) {
  std::set<ConfigKey> changes;
  for (std::string_view kind : kinds) {
    changes.insert({.kind = std::string(kind), .namespace_name = "ns", .name = "n"});
  }
  std::vector<std::string> names;
  for (const GeneratorRow* row : RowsAffectedBy(changes)) names.push_back(row->name);
  std::sort(names.begin(), names.end());
  return names;
}

TEST(GeneratorTableTest, AWorkloadEntryTouchesEndpointsAndInboundListenersOnly) {
  EXPECT_THAT(Affected({kinds::WorkloadEntry.name()}), ElementsAre("EDS", "LDS inbound"));
}

TEST(GeneratorTableTest, AVirtualServiceTouchesRoutesAndOutboundListeners) {
  EXPECT_THAT(Affected({kinds::VirtualService.name()}), ElementsAre("LDS outbound", "RDS"));
}

TEST(GeneratorTableTest, KindsNoGeneratorReadsTouchNothing) {
  EXPECT_THAT(Affected({kinds::Gateway.name(), kinds::Rule.name(), kinds::Handler.name()}),
              IsEmpty());
  EXPECT_THAT(RowsAffectedBy({}), IsEmpty());
}

TEST(GeneratorTableTest, TheInboundCacheSurvivesOnlyRegistryChanges) {
  const GeneratorRow* inbound = nullptr;
  for (const GeneratorRow& row : GeneratorTable()) {
    if (std::string_view(row.name) == "LDS inbound") inbound = &row;
  }
  ASSERT_NE(inbound, nullptr);
  auto key = [](std::string_view kind) {
    return ConfigKey{.kind = std::string(kind), .namespace_name = "ns", .name = "n"};
  };
  EXPECT_TRUE(inbound->CacheSurvives({key(kinds::WorkloadEntry.name())}));
  EXPECT_TRUE(inbound->CacheSurvives({key(kinds::ServiceEntry.name())}));
  EXPECT_TRUE(inbound->CacheSurvives({key(kinds::VirtualService.name())}));  // not read
  EXPECT_FALSE(inbound->CacheSurvives(
      {key(kinds::WorkloadEntry.name()), key(kinds::AuthorizationPolicy.name())}));
}

// What the inbound cache gives after ServiceEntry and WorkloadEntry changes
// (the changes it survives) is what a fresh build gives, with rules that
// select by host and port in force.
TEST(GeneratorTableTest, TheInboundCacheGivesWhatAFreshBuildGives) {
  const std::string rules = R"(apiVersion: rbac.istio.io/v1alpha1
kind: ClusterRbacConfig
metadata: {name: default}
spec: {mode: ON}
---
apiVersion: rbac.istio.io/v1alpha1
kind: ServiceRole
metadata: {name: extra-reader}
spec:
  rules: [{services: [extra-b.default.svc.cluster.local], methods: [GET]}]
---
apiVersion: rbac.istio.io/v1alpha1
kind: ServiceRoleBinding
metadata: {name: extra-reader}
spec:
  subjects: [{user: "*"}]
  roleRef: {kind: ServiceRole, name: extra-reader}
---
apiVersion: authentication.istio.io/v1alpha1
kind: Policy
metadata: {name: extra}
spec:
  targets: [{name: extra-a, ports: [{number: 9001}]}]
  peers: [{mtls: {}}]
)";
  auto registry = [](const std::string& host, int port, const std::string& address) {
    return absl::StrCat(R"(
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: extra}
spec:
  hosts: [)", host, R"(]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: )", port, R"(, name: http, protocol: HTTP}]
  endpoints: [{address: )", address, R"(}]
)");
  };
  PartCache cache;
  const std::vector<std::string> steps = {
      registry("extra-a.default.svc.cluster.local", 9000, "10.9.0.1"),
      registry("extra-a.default.svc.cluster.local", 9001, "10.9.0.1"),  // port: mTLS target
      registry("extra-b.default.svc.cluster.local", 9001, "10.9.0.1"),  // host: RBAC service
      registry("extra-b.default.svc.cluster.local", 9001, "10.9.0.2"),
  };
  uint64_t version = 1;
  for (const std::string& step : steps) {
    auto context = testing::BookinfoContextWith(rules + step);
    const uint64_t built_before = cache.built;
    auto cached = GenerateInboundListeners(*context, {}, &cache);
    auto fresh = GenerateInboundListeners(*context);
    ASSERT_EQ(cached->resources.size(), fresh->resources.size()) << step;
    for (const auto& [name, resource] : fresh->resources) {
      ASSERT_EQ(cached->resources.count(name), 1u) << name;
      EXPECT_EQ(cached->resources.at(name)->body.SerializeAsString(), resource->body.SerializeAsString())
          << name << " after " << step;
    }
    // Only the changed service's listener is built again.
    if (version++ > 1) EXPECT_EQ(cache.built - built_before, 1u) << step;
  }
}

// Every type a row makes is served, and every kind a row reads reaches Pilot.
TEST(GeneratorTableTest, RowsReadOnlyKindsPilotSubscribesTo) {
  EXPECT_THAT(GeneratedTypes(), ElementsAre(kListenerType, kRouteType, kClusterType,
                                            kEndpointType));
  for (const GeneratorRow& row : GeneratorTable()) {
    for (const mesh::KindInfo* kind : row.reads) {
      EXPECT_TRUE(kind->ConsumedBy(mesh::kPilot)) << row.name << " reads " << kind->kind;
    }
  }
}

// For each kind Pilot reads: config of that kind that shapes what Pilot
// generates, beside the bookinfo registry (ServiceEntries and
// WorkloadEntries, which shape everything).
struct KindFixture {
  const mesh::KindInfo* kind;
  std::string yaml;
};

std::string Doc(const std::string& api_version, const std::string& kind, const std::string& ns,
                const std::string& name, const std::string& spec) {
  return "---\napiVersion: " + api_version + "\nkind: " + kind + "\nmetadata: {name: " + name +
         (ns.empty() ? "" : ", namespace: " + ns) + "}\nspec:\n" + spec;
}

const std::string kRbacOn =
    Doc("rbac.istio.io/v1alpha1", "ClusterRbacConfig", "default", "default", "  mode: 'ON'\n");
const std::string kRoles =
    Doc("rbac.istio.io/v1alpha1", "ServiceRole", "default", "ratings-viewer",
        "  rules:\n  - services: [ratings.default.svc.cluster.local]\n    methods: [GET]\n") +
    Doc("rbac.istio.io/v1alpha1", "ServiceRoleBinding", "default", "bind-ratings",
        "  subjects:\n  - user: cluster.local/ns/default/sa/bookinfo-reviews\n"
        "  roleRef: {kind: ServiceRole, name: ratings-viewer}\n");

std::vector<KindFixture> Fixtures() {
  const std::string net = "networking.istio.io/v1alpha3";
  return {
      {&kinds::ServiceEntry.info(), ""},
      {&kinds::WorkloadEntry.info(), ""},
      {&kinds::VirtualService.info(),
       Doc(net, "VirtualService", "default", "reviews",
           "  hosts: [reviews.default.svc.cluster.local]\n  http:\n  - timeout: 3s\n"
           "    route:\n    - destination:\n"
           "        {host: reviews.default.svc.cluster.local, subset: v1}\n")},
      {&kinds::DestinationRule.info(),
       Doc(net, "DestinationRule", "default", "reviews",
           "  host: reviews.default.svc.cluster.local\n"
           "  trafficPolicy:\n    loadBalancer: {simple: ROUND_ROBIN}\n"
           "    outlierDetection: {consecutiveErrors: 3, interval: 1s}\n"
           "    tls: {mode: ISTIO_MUTUAL}\n"
           "  subsets:\n  - name: v1\n    labels: {version: v1}\n"
           "  - name: v2\n    labels: {version: v2}\n")},
      {&kinds::Sidecar.info(),
       Doc(net, "Sidecar", "default", "default", "  egress:\n  - hosts: [istio-system/*]\n")},
      {&kinds::EnvoyFilter.info(),
       Doc(net, "EnvoyFilter", "istio-system", "everything",
           "  configPatches:\n"
           "  - applyTo: CLUSTER\n    patch: {operation: MERGE, value: {connect_timeout: 7s}}\n"
           "  - applyTo: LISTENER\n    patch: {operation: MERGE, value: {stat_prefix: patched}}\n"
           "  - applyTo: ROUTE_CONFIGURATION\n"
           "    patch: {operation: MERGE, value: {validate_clusters: true}}\n")},
      {&kinds::AuthorizationPolicy.info(),
       Doc("security.istio.io/v1beta1", "AuthorizationPolicy", "default", "ratings",
           "  selector: {matchLabels: {app: ratings}}\n"
           "  rules:\n  - from:\n    - source: {principals: [cluster.local/ns/default/sa/x]}\n")},
      {&kinds::PeerAuthentication.info(),
       Doc("security.istio.io/v1beta1", "PeerAuthentication", "default", "default",
           "  mtls: {mode: STRICT}\n")},
      {&kinds::Policy.info(), Doc("authentication.istio.io/v1alpha1", "Policy", "default",
                                  "default", "  peers: [{mtls: {}}]\n")},
      {&kinds::MeshPolicy.info(), Doc("authentication.istio.io/v1alpha1", "MeshPolicy", "",
                                      "default", "  peers: [{mtls: {}}]\n")},
      {&kinds::ServiceRole.info(), kRbacOn + kRoles},
      {&kinds::ServiceRoleBinding.info(), kRbacOn + kRoles},
      {&kinds::ClusterRbacConfig.info(), kRbacOn + kRoles},
      {&kinds::RbacConfig.info(),
       Doc("rbac.istio.io/v1alpha1", "RbacConfig", "default", "default", "  mode: 'ON'\n") +
           kRoles},
  };
}

// The proxies a part is generated for: the unscoped view, and a workload in
// the default namespace with a locality.
std::vector<Proxy> Proxies() {
  return {Proxy{},
          Proxy{.id = "productpage",
                .namespace_name = "default",
                .locality = "us-east/zone-a",
                .labels = {{"app", "productpage"}}}};
}

// Whether `row` makes the same resources with and without the resources of
// `kind` in `resources`, for every proxy.
bool SameWithout(const GeneratorRow& row, const mesh::KindInfo& kind,
                 const std::vector<std::shared_ptr<const mesh::Resource>>& resources) {
  std::vector<std::shared_ptr<const mesh::Resource>> without;
  for (const auto& resource : resources) {
    if (resource->kind != &kind) without.push_back(resource);
  }
  auto with_context = PushContext::Build(resources, 1);
  auto without_context = PushContext::Build(without, 2);
  for (const Proxy& proxy : Proxies()) {
    if (row.generate(*with_context, proxy, nullptr)->version !=
        row.generate(*without_context, proxy, nullptr)->version) {
      return false;
    }
  }
  return true;
}

// The kinds `row` reads without declaring them: those whose config, taken
// away, changes what the row makes.
std::vector<std::string> UndeclaredReads(const GeneratorRow& row) {
  std::vector<std::string> undeclared;
  for (const KindFixture& fixture : Fixtures()) {
    if (row.Reads(fixture.kind->kind)) continue;
    if (!SameWithout(row, *fixture.kind, BookinfoResourcesWith(fixture.yaml))) {
      undeclared.push_back(fixture.kind->kind);
    }
  }
  return undeclared;
}

// The check behind incremental pushes: a change to a kind a row does not
// declare must leave the row's output as it was, or a push would skip a
// part that changed.
TEST(GeneratorTableTest, NoGeneratorReadsAKindItsRowLeavesOut) {
  for (const GeneratorRow& row : GeneratorTable()) {
    EXPECT_THAT(UndeclaredReads(row), IsEmpty()) << row.name;
  }
}

// The fixtures can catch a missing kind: each kind's config changes what at
// least one of the rows declaring it makes, and every kind Pilot reads has
// a fixture.
TEST(GeneratorTableTest, EachFixtureShapesARowThatDeclaresItsKind) {
  std::vector<const mesh::KindInfo*> covered;
  for (const KindFixture& fixture : Fixtures()) {
    covered.push_back(fixture.kind);
    bool shapes = false;
    for (const GeneratorRow& row : GeneratorTable()) {
      if (row.Reads(fixture.kind->kind)) {
        shapes |= !SameWithout(row, *fixture.kind, BookinfoResourcesWith(fixture.yaml));
      }
    }
    EXPECT_TRUE(shapes) << fixture.kind->kind << "'s fixture changes no part that reads it";
  }
  for (const mesh::KindInfo* kind : mesh::KindsConsumedBy(mesh::kPilot)) {
    EXPECT_NE(std::find(covered.begin(), covered.end(), kind), covered.end())
        << kind->kind << " has no fixture";
  }
}

// And the check fails when a row leaves out a kind its generator reads.
TEST(GeneratorTableTest, ARowLeavingOutAKindItsGeneratorReadsIsCaught) {
  for (const GeneratorRow& row : GeneratorTable()) {
    if (std::string_view(row.name) != "CDS") continue;
    GeneratorRow forgetful = row;
    forgetful.reads.erase(std::remove(forgetful.reads.begin(), forgetful.reads.end(),
                                      &kinds::DestinationRule.info()),
                          forgetful.reads.end());
    EXPECT_THAT(UndeclaredReads(forgetful), ElementsAre("DestinationRule"));
  }
}

std::vector<std::shared_ptr<const mesh::Resource>> Resources(const std::string& yaml) {
  mesh::ParsedFile parsed = mesh::ParseConfigFile("mesh.yaml", yaml);
  EXPECT_THAT(parsed.diagnostics, IsEmpty());
  std::vector<std::shared_ptr<const mesh::Resource>> out;
  for (mesh::Resource& r : parsed.resources) {
    out.push_back(std::make_shared<const mesh::Resource>(std::move(r)));
  }
  return out;
}

constexpr char kService[] = R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews}
spec:
  hosts: [reviews.default.svc.cluster.local]
  ports: [{number: 9080, name: grpc, protocol: GRPC}]
  resolution: STATIC
  workloadSelector: {labels: {app: reviews}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-1}
spec: {address: 10.0.0.1, labels: {app: reviews}}
)";

// A push after a VirtualService change reuses the services of the previous
// context (ServiceEntries and WorkloadEntries did not change) and still sees
// the new rule.
TEST(PushContextTest, ServicesCarryOverWhenNoServiceChanged) {
  auto first = PushContext::Build(Resources(kService), 1);
  auto second = PushContext::Build(
      Resources(std::string(kService) +
                "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\n"
                "metadata: {name: reviews}\nspec:\n  hosts: [reviews.default.svc.cluster.local]\n"
                "  http:\n  - route:\n    - destination: {host: "
                "reviews.default.svc.cluster.local}\n"),
      2, {}, first.get());
  EXPECT_EQ(&second->services(), &first->services());  // shared, not rebuilt
  ASSERT_NE(second->FindService("reviews.default.svc.cluster.local"), nullptr);
  EXPECT_EQ(second->all_endpoints().size(), 1u);
  EXPECT_NE(second->VirtualServiceFor(Proxy{}, "reviews.default.svc.cluster.local"), nullptr);
  EXPECT_EQ(first->VirtualServiceFor(Proxy{}, "reviews.default.svc.cluster.local"), nullptr);
  // Without a previous context, the services are built anew.
  auto third = PushContext::Build(Resources(kService), 3);
  EXPECT_NE(&third->services(), &first->services());
}

}  // namespace
}  // namespace keel::pilot
