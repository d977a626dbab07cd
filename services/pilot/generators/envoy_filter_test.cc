// EnvoyFilter on generated resources: every applyTo x operation docs/pilot.md
// lists, and Istio 1.4's older `filters` form.
#include "services/pilot/generators/envoy_filter.h"

#include <string>
#include <vector>

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/pilot/generators/generators.h"
#include "services/pilot/generators/table.h"
#include "services/pilot/testing/push_context.h"

namespace keel::pilot {
namespace {

namespace hcm = envoy::extensions::filters::network::http_connection_manager::v3;
using envoy::config::cluster::v3::Cluster;
using envoy::config::listener::v3::Listener;
using envoy::config::route::v3::RouteConfiguration;
using testing::BookinfoContextWith;
using ::testing::ElementsAre;
using testing::Get;

constexpr char kOutbound[] = "reviews.default.svc.cluster.local:9080";
constexpr char kInbound[] = "grpc/server?xds.resource.listening_address=10.0.0.1:9080";

// A filter in the root namespace: it applies to every proxy.
std::string Filter(const std::string& spec, const std::string& ns = "istio-system") {
  return "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: f, "
         "namespace: " + ns + "}\nspec:\n" +
         spec;
}

hcm::HttpConnectionManager Manager(const Listener& listener) {
  hcm::HttpConnectionManager manager;
  if (listener.has_api_listener()) {
    EXPECT_TRUE(listener.api_listener().api_listener().UnpackTo(&manager));
  } else {
    EXPECT_TRUE(listener.filter_chains(0).filters(0).typed_config().UnpackTo(&manager));
  }
  return manager;
}

std::vector<std::string> HttpFilterNames(const std::string& yaml, const std::string& listener) {
  auto context = BookinfoContextWith(yaml);
  const hcm::HttpConnectionManager manager =
      Manager(Get<Listener>(*GenerateType(kListenerType, *context), listener));
  std::vector<std::string> names;
  for (const auto& filter : manager.http_filters()) names.push_back(filter.name());
  return names;
}

// An HTTP_FILTER patch on the outbound listener, relative to the router.
std::string HttpFilterPatch(const std::string& operation, const std::string& value) {
  return Filter(
      "  configPatches:\n  - applyTo: HTTP_FILTER\n    match:\n      context: SIDECAR_OUTBOUND\n"
      "      listener:\n        filterChain:\n          filter:\n"
      "            name: envoy.filters.network.http_connection_manager\n"
      "            subFilter: {name: envoy.filters.http.router}\n"
      "    patch:\n      operation: " +
      operation + "\n      value: " + value + "\n");
}

constexpr char kFault[] =
    "{name: envoy.filters.http.fault, typed_config: {'@type': "
    "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault}}";

TEST(EnvoyFilterTest, HttpFilterInsertBeforeAfterFirstAndAdd) {
  EXPECT_THAT(HttpFilterNames(HttpFilterPatch("INSERT_BEFORE", kFault), kOutbound),
              ElementsAre("envoy.filters.http.fault", "envoy.filters.http.router"));
  EXPECT_THAT(HttpFilterNames(HttpFilterPatch("INSERT_FIRST", kFault), kOutbound),
              ElementsAre("envoy.filters.http.fault", "envoy.filters.http.router"));
  // ADD keeps the router last.
  EXPECT_THAT(HttpFilterNames(HttpFilterPatch("ADD", kFault), kOutbound),
              ElementsAre("envoy.filters.http.fault", "envoy.filters.http.router"));
  EXPECT_THAT(HttpFilterNames(HttpFilterPatch("INSERT_AFTER", kFault), kOutbound),
              ElementsAre("envoy.filters.http.router", "envoy.filters.http.fault"));
}

TEST(EnvoyFilterTest, HttpFilterMergeAndRemove) {
  auto context = BookinfoContextWith(HttpFilterPatch(
      "MERGE",
      "{typed_config: {'@type': "
      "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router, suppress_envoy_headers: "
      "true}}"));
  hcm::HttpConnectionManager manager =
      Manager(Get<Listener>(*GenerateType(kListenerType, *context), kOutbound));
  envoy::extensions::filters::http::router::v3::Router router;
  ASSERT_TRUE(manager.http_filters(0).typed_config().UnpackTo(&router));
  EXPECT_TRUE(router.suppress_envoy_headers());
  EXPECT_THAT(HttpFilterNames(HttpFilterPatch("REMOVE", "{}"), kOutbound), ::testing::IsEmpty());
}

TEST(EnvoyFilterTest, ListenerMerge) {
  auto context = BookinfoContextWith(
      Filter("  configPatches:\n  - applyTo: LISTENER\n    match: {context: SIDECAR_OUTBOUND}\n"
             "    patch: {operation: MERGE, value: {stat_prefix: patched}}\n"));
  EXPECT_EQ(Get<Listener>(*GenerateType(kListenerType, *context), kOutbound).stat_prefix(), "patched");
  // An outbound-only patch leaves inbound listeners alone.
  EXPECT_EQ(Get<Listener>(*GenerateType(kListenerType, *context), kInbound).stat_prefix(), "");
}

TEST(EnvoyFilterTest, RouteConfigurationMerge) {
  auto context = BookinfoContextWith(Filter(
      "  configPatches:\n  - applyTo: ROUTE_CONFIGURATION\n    patch: {operation: MERGE, value: "
      "{validate_clusters: true}}\n"));
  EXPECT_TRUE(
      Get<RouteConfiguration>(*GenerateRoutes(*context), kOutbound).validate_clusters().value());
}

TEST(EnvoyFilterTest, VirtualHostAddMergeAndRemove) {
  auto added = Get<RouteConfiguration>(
      *GenerateRoutes(*BookinfoContextWith(
          Filter("  configPatches:\n  - applyTo: VIRTUAL_HOST\n    patch: {operation: ADD, "
                 "value: {name: extra, domains: [extra.example]}}\n"))),
      kOutbound);
  ASSERT_EQ(added.virtual_hosts_size(), 2);
  EXPECT_EQ(added.virtual_hosts(1).name(), "extra");
  auto merged = Get<RouteConfiguration>(
      *GenerateRoutes(*BookinfoContextWith(Filter(
          "  configPatches:\n  - applyTo: VIRTUAL_HOST\n    match:\n      routeConfiguration:\n"
          "        vhost: {name: 'reviews.default.svc.cluster.local:9080'}\n"
          "    patch: {operation: MERGE, value: {domains: [merged.example]}}\n"))),
      kOutbound);
  EXPECT_THAT(merged.virtual_hosts(0).domains(), ::testing::Contains("merged.example"));
  auto removed = Get<RouteConfiguration>(
      *GenerateRoutes(*BookinfoContextWith(
          Filter("  configPatches:\n  - applyTo: VIRTUAL_HOST\n    patch: {operation: REMOVE}\n"))),
      kOutbound);
  EXPECT_EQ(removed.virtual_hosts_size(), 0);
}

TEST(EnvoyFilterTest, HttpRouteInsertFirstAddMergeAndRemove) {
  const std::string route = "{name: extra, match: {prefix: /extra}, route: {cluster: x}}";
  auto routes_with = [](const std::string& patch) {
    return Get<RouteConfiguration>(
        *GenerateRoutes(*BookinfoContextWith(
            Filter("  configPatches:\n  - applyTo: HTTP_ROUTE\n    match:\n"
                   "      routeConfiguration:\n        vhost:\n          route: {name: default}\n"
                   "    patch: " +
                   patch + "\n"))),
        kOutbound);
  };
  auto first = routes_with("{operation: INSERT_FIRST, value: " + route + "}");
  ASSERT_EQ(first.virtual_hosts(0).routes_size(), 2);
  EXPECT_EQ(first.virtual_hosts(0).routes(0).name(), "extra");
  auto add = routes_with("{operation: ADD, value: " + route + "}");
  ASSERT_EQ(add.virtual_hosts(0).routes_size(), 2);
  EXPECT_EQ(add.virtual_hosts(0).routes(1).name(), "extra");
  auto merge = routes_with("{operation: MERGE, value: {route: {timeout: 3s}}}");
  EXPECT_EQ(merge.virtual_hosts(0).routes(0).route().timeout().seconds(), 3);
  auto remove = routes_with("{operation: REMOVE}");
  EXPECT_EQ(remove.virtual_hosts(0).routes_size(), 0);
}

TEST(EnvoyFilterTest, ClusterMergeBySubset) {
  auto context = BookinfoContextWith(
      "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: r}\n"
      "spec:\n  host: reviews\n  subsets:\n  - {name: v1, labels: {version: v1}}\n---\n" +
      Filter("  configPatches:\n  - applyTo: CLUSTER\n    match:\n      cluster: {subset: v1}\n"
             "    patch: {operation: MERGE, value: {connect_timeout: 2s}}\n"));
  auto clusters = GenerateClusters(*context);
  EXPECT_EQ(Get<Cluster>(*clusters, ClusterName(9080, "v1", "reviews.default.svc.cluster.local"))
                .connect_timeout()
                .seconds(),
            2);
  EXPECT_EQ(Get<Cluster>(*clusters, ClusterName(9080, "", "reviews.default.svc.cluster.local"))
                .connect_timeout()
                .seconds(),
            10);
}

// A typed_config of an Envoy extension Keel compiles no C++ for is carried
// through unchanged (as an Any of its type).
TEST(EnvoyFilterTest, AnyExtensionTypeIsCarriedAsItsAny) {
  auto context = BookinfoContextWith(HttpFilterPatch(
      "INSERT_BEFORE",
      "{name: envoy.filters.http.ratelimit, typed_config: {'@type': "
      "type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit, domain: d}}"));
  hcm::HttpConnectionManager manager =
      Manager(Get<Listener>(*GenerateType(kListenerType, *context), kOutbound));
  ASSERT_EQ(manager.http_filters_size(), 2);
  EXPECT_EQ(manager.http_filters(0).typed_config().type_url(),
            "type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit");
  EXPECT_FALSE(manager.http_filters(0).typed_config().value().empty());
}

// Istio 1.4's `filters` form: workloadLabels select inbound listeners.
constexpr char kDeprecatedLua[] =
    "  workloadLabels: {app: reviews}\n  filters:\n  - listenerMatch:\n"
    "      listenerType: SIDECAR_INBOUND\n      listenerProtocol: HTTP\n"
    "      portNumber: 9080\n    filterType: HTTP\n    filterName: envoy.lua\n"
    "    filterConfig:\n      inlineCode: 'function envoy_on_request(handle) end'\n";

TEST(EnvoyFilterTest, DeprecatedFiltersFormInsertsIntoSelectedInboundListeners) {
  // Labels select workloads of the filter's own namespace.
  const std::string yaml = Filter(kDeprecatedLua, "default");
  std::vector<std::string> names = HttpFilterNames(yaml, kInbound);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "envoy.lua");  // FIRST, the default position
  EXPECT_EQ(names.back(), "envoy.filters.http.router");
  // Not on ratings (other labels), nor on outbound listeners.
  for (const std::string& name :
       HttpFilterNames(yaml, "grpc/server?xds.resource.listening_address=10.0.1.1:9080")) {
    EXPECT_NE(name, "envoy.lua");
  }
  EXPECT_THAT(HttpFilterNames(yaml, kOutbound), ElementsAre("envoy.filters.http.router"));

  auto context = BookinfoContextWith(yaml);
  hcm::HttpConnectionManager manager =
      Manager(Get<Listener>(*GenerateType(kListenerType, *context), kInbound));
  EXPECT_EQ(manager.http_filters(0).typed_config().type_url(),
            "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua");
}

TEST(EnvoyFilterTest, DeprecatedFiltersFormPositionsAndOutbound) {
  // No workloadLabels: every workload; SIDECAR_OUTBOUND: the API listeners.
  const std::string outbound_last = Filter(
      "  filters:\n  - listenerMatch: {listenerType: SIDECAR_OUTBOUND}\n"
      "    insertPosition: {index: LAST}\n    filterType: HTTP\n    filterName: envoy.cors\n"
      "    filterConfig: {}\n");
  // LAST goes before the router, which must stay last.
  EXPECT_THAT(HttpFilterNames(outbound_last, kOutbound),
              ElementsAre("envoy.cors", "envoy.filters.http.router"));
  const std::string before_router = Filter(
      "  filters:\n  - listenerMatch: {listenerType: ANY, portNamePrefix: HTT}\n"
      "    insertPosition: {index: BEFORE, relativeTo: envoy.filters.http.router}\n"
      "    filterType: HTTP\n    filterName: envoy.filters.http.fault\n    filterConfig: {}\n");
  EXPECT_THAT(HttpFilterNames(before_router, kOutbound),
              ElementsAre("envoy.filters.http.fault", "envoy.filters.http.router"));
  const std::string wrong_port = Filter(
      "  filters:\n  - listenerMatch: {portNumber: 1234}\n    filterType: HTTP\n"
      "    filterName: envoy.cors\n    filterConfig: {}\n");
  EXPECT_THAT(HttpFilterNames(wrong_port, kOutbound), ElementsAre("envoy.filters.http.router"));
  const std::string tcp_only = Filter(
      "  filters:\n  - listenerMatch: {listenerProtocol: TCP}\n    filterType: HTTP\n"
      "    filterName: envoy.cors\n    filterConfig: {}\n");
  EXPECT_THAT(HttpFilterNames(tcp_only, kOutbound), ElementsAre("envoy.filters.http.router"));
}

// Istio 1.4's scope: a filter without a selector patches the proxies of its
// own namespace; only from the root namespace does it patch every proxy.
// (It patched every proxy in the mesh from any namespace before.)
TEST(EnvoyFilterTest, AFilterWithoutASelectorPatchesItsNamespaceOrFromTheRootEveryone) {
  const std::string patch =
      "  configPatches:\n  - applyTo: CLUSTER\n    match:\n      context: SIDECAR_OUTBOUND\n"
      "    patch:\n      operation: MERGE\n      value: {connect_timeout: 7s}\n";
  const Proxy in_shop{.id = "sidecar~10.1.1.1~a.shop~shop.svc.cluster.local", .namespace_name = "shop"};
  const Proxy in_default{.id = "sidecar~10.1.1.2~b.default~default.svc.cluster.local",
                         .namespace_name = "default"};
  constexpr char kCluster[] = "outbound|9080||reviews.default.svc.cluster.local";
  auto timeout = [&](const PushContext& context, const Proxy& proxy) {
    return Get<Cluster>(*GenerateClusters(context, proxy), kCluster).connect_timeout().seconds();
  };
  auto shop = BookinfoContextWith(Filter(patch, "shop"));
  EXPECT_FALSE(shop->NamespaceIndependent());
  EXPECT_EQ(timeout(*shop, in_shop), 7);
  EXPECT_EQ(timeout(*shop, in_default), 10);
  EXPECT_EQ(timeout(*shop, Proxy{}), 10);
  auto root = BookinfoContextWith(Filter(patch));
  EXPECT_TRUE(root->NamespaceIndependent());
  EXPECT_EQ(timeout(*root, in_shop), 7);
  EXPECT_EQ(timeout(*root, in_default), 7);
  EXPECT_EQ(timeout(*root, Proxy{}), 7);
}

}  // namespace
}  // namespace keel::pilot
