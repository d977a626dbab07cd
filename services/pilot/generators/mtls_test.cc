#include "services/pilot/generators/mtls.h"

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/pilot/generators/generators.h"
#include "services/pilot/generators/table.h"
#include "services/pilot/testing/push_context.h"

namespace keel::pilot {
namespace {

using testing::BookinfoContextWith;
using testing::Get;
namespace tls = envoy::extensions::transport_sockets::tls::v3;

const std::map<std::string, std::string> kReviewsV1 = {{"app", "reviews"}, {"version", "v1"}};

std::string Peer(const std::string& ns, const std::string& name, const std::string& spec) {
  return "---\napiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata: {name: " +
         name + ", namespace: " + ns + "}\nspec:\n" + spec;
}

TEST(PeerMtlsModeTest, WorkloadThenNamespaceThenMeshEachUnsetInheriting) {
  EXPECT_EQ(PeerMtlsMode(*BookinfoContextWith(""), "default", kReviewsV1, 9080),
            MtlsMode::kPermissive);  // nothing says: PERMISSIVE, as Istio
  auto mesh_strict = BookinfoContextWith(Peer("istio-system", "default", "  mtls: {mode: STRICT}\n"));
  EXPECT_EQ(PeerMtlsMode(*mesh_strict, "default", kReviewsV1, 9080), MtlsMode::kStrict);
  auto namespace_off = BookinfoContextWith(
      Peer("istio-system", "default", "  mtls: {mode: STRICT}\n") +
      Peer("default", "default", "  mtls: {mode: DISABLE}\n"));
  EXPECT_EQ(PeerMtlsMode(*namespace_off, "default", kReviewsV1, 9080), MtlsMode::kDisable);
  EXPECT_EQ(PeerMtlsMode(*namespace_off, "shop", kReviewsV1, 9080), MtlsMode::kStrict);
  // A workload policy: its port-level setting first, its UNSET inherits.
  auto workload = BookinfoContextWith(
      Peer("istio-system", "default", "  mtls: {mode: STRICT}\n") +
      Peer("default", "reviews",
           "  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: UNSET}\n"
           "  portLevelMtls: {9080: {mode: DISABLE}}\n"));
  EXPECT_EQ(PeerMtlsMode(*workload, "default", kReviewsV1, 9080), MtlsMode::kDisable);
  EXPECT_EQ(PeerMtlsMode(*workload, "default", kReviewsV1, 9443), MtlsMode::kStrict);
  EXPECT_EQ(PeerMtlsMode(*workload, "default", {{"app", "ratings"}}, 9080), MtlsMode::kStrict);
  // A selector in the root namespace is not mesh-wide.
  auto root_selector = BookinfoContextWith(
      Peer("istio-system", "strict-reviews",
           "  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: STRICT}\n"));
  EXPECT_EQ(PeerMtlsMode(*root_selector, "default", kReviewsV1, 9080), MtlsMode::kPermissive);
}

std::string Alpha(const std::string& kind, const std::string& ns, const std::string& name,
                  const std::string& spec) {
  return "---\napiVersion: authentication.istio.io/v1alpha1\nkind: " + kind +
         "\nmetadata: {name: " + name + (ns.empty() ? "" : ", namespace: " + ns) + "}\nspec:\n" +
         spec;
}

// Istio 1.4's Policy and MeshPolicy: the most specific wins (service and
// port, service, namespace, mesh); `mtls: {}` is STRICT; no mtls peer is
// DISABLE. A PeerAuthentication, where one applies, takes precedence.
TEST(PeerMtlsModeTest, Istio14PoliciesByServicePortThenServiceThenNamespaceThenMesh) {
  auto mode = [](const std::shared_ptr<const PushContext>& context, uint32_t port) {
    const ServiceInfo* reviews = nullptr;
    for (const ServiceInfo& service : context->services()) {
      if (service.host == "reviews.default.svc.cluster.local") reviews = &service;
    }
    EXPECT_NE(reviews, nullptr);
    ServicePort service_port{.number = port, .name = port == 9080 ? "http" : "other"};
    return PeerMtlsMode(*context, "default", kReviewsV1, port, reviews, &service_port);
  };
  auto mesh = BookinfoContextWith(Alpha("MeshPolicy", "", "default", "  peers: [{mtls: {}}]\n"));
  EXPECT_EQ(mode(mesh, 9080), MtlsMode::kStrict);
  auto permissive_namespace = BookinfoContextWith(
      Alpha("MeshPolicy", "", "default", "  peers: [{mtls: {}}]\n") +
      Alpha("Policy", "default", "default", "  peers: [{mtls: {mode: PERMISSIVE}}]\n"));
  EXPECT_EQ(mode(permissive_namespace, 9080), MtlsMode::kPermissive);
  auto by_service = BookinfoContextWith(
      Alpha("Policy", "default", "default", "  peers: [{mtls: {}}]\n") +
      Alpha("Policy", "default", "reviews-off", "  targets: [{name: reviews}]\n") +
      Alpha("Policy", "default", "reviews-9080",
            "  targets: [{name: reviews, ports: [{number: 9080}]}]\n  peers: [{mtls: {}}]\n"));
  EXPECT_EQ(mode(by_service, 9080), MtlsMode::kStrict);   // service and port
  EXPECT_EQ(mode(by_service, 9443), MtlsMode::kDisable);  // service: no mtls peer
  auto beta_wins = BookinfoContextWith(
      Alpha("MeshPolicy", "", "default", "  peers: [{mtls: {}}]\n") +
      Peer("default", "default", "  mtls: {mode: DISABLE}\n"));
  EXPECT_EQ(mode(beta_wins, 9080), MtlsMode::kDisable);
  // And it reaches the listener.
  auto listener = Get<envoy::config::listener::v3::Listener>(
      *GenerateType(kListenerType, *mesh, Proxy{}), "grpc/server?xds.resource.listening_address=10.0.0.1:9080");
  EXPECT_EQ(listener.filter_chains(0).transport_socket().name(), "envoy.transport_sockets.tls");
}

TEST(MtlsGeneratorTest, StrictInboundListenersRequireAClientCertificate) {
  auto context =
      BookinfoContextWith(Peer("default", "default", "  mtls: {mode: STRICT}\n"));
  auto listener = Get<envoy::config::listener::v3::Listener>(
      *GenerateType(kListenerType, *context, Proxy{}),
      "grpc/server?xds.resource.listening_address=10.0.0.1:9080");
  ASSERT_EQ(listener.filter_chains_size(), 1);
  const auto& socket = listener.filter_chains(0).transport_socket();
  EXPECT_EQ(socket.name(), "envoy.transport_sockets.tls");
  tls::DownstreamTlsContext downstream;
  ASSERT_TRUE(socket.typed_config().UnpackTo(&downstream));
  EXPECT_TRUE(downstream.require_client_certificate().value());
  const auto& common = downstream.common_tls_context();
  EXPECT_EQ(common.tls_certificate_provider_instance().instance_name(), "default");
  EXPECT_EQ(common.combined_validation_context()
                .default_validation_context()
                .ca_certificate_provider_instance()
                .certificate_name(),
            "ROOTCA");
  // Without a policy: plaintext.
  auto plain = Get<envoy::config::listener::v3::Listener>(
      *GenerateType(kListenerType, *BookinfoContextWith(""), Proxy{}),
      "grpc/server?xds.resource.listening_address=10.0.0.1:9080");
  EXPECT_FALSE(plain.filter_chains(0).has_transport_socket());
}

TEST(MtlsGeneratorTest, IstioMutualClustersVerifyTheServersIdentity) {
  auto context = BookinfoContextWith(
      "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: "
      "reviews}\nspec:\n  host: reviews\n  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n  "
      "subsets:\n  - name: v1\n    labels: {version: v1}\n    trafficPolicy:\n      tls:\n"
      "        mode: ISTIO_MUTUAL\n        subjectAltNames: [spiffe://cluster.local/ns/default/sa/reviews]\n"
      "---\napiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: "
      "ratings}\nspec: {host: ratings}\n");
  auto clusters = GenerateClusters(*context, Proxy{});
  auto tls_of = [&](const std::string& name) {
    auto cluster = Get<envoy::config::cluster::v3::Cluster>(*clusters, name);
    tls::UpstreamTlsContext upstream;
    if (cluster.transport_socket().name() == "envoy.transport_sockets.tls") {
      EXPECT_TRUE(cluster.transport_socket().typed_config().UnpackTo(&upstream));
    }
    return std::make_pair(cluster.has_transport_socket(), upstream);
  };
  auto [has_tls, all] = tls_of("outbound|9080||reviews.default.svc.cluster.local");
  ASSERT_TRUE(has_tls);
  const auto& sans = all.common_tls_context()
                         .combined_validation_context()
                         .default_validation_context()
                         .match_subject_alt_names();
  ASSERT_EQ(sans.size(), 1);
  EXPECT_EQ(sans[0].prefix(), "spiffe://cluster.local/");  // any identity of the trust domain
  auto [v1_tls, v1] = tls_of("outbound|9080|v1|reviews.default.svc.cluster.local");
  ASSERT_TRUE(v1_tls);
  EXPECT_EQ(v1.common_tls_context()
                .combined_validation_context()
                .default_validation_context()
                .match_subject_alt_names(0)
                .exact(),
            "spiffe://cluster.local/ns/default/sa/reviews");
  EXPECT_FALSE(tls_of("outbound|9080||ratings.default.svc.cluster.local").first);
}

}  // namespace
}  // namespace keel::pilot
