#include "services/galley/kube/registry.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "google/protobuf/util/message_differencer.h"
#include "proto/istio/networking/v1alpha3/service_entry.pb.h"

namespace keel::galley::kube {
namespace {

namespace net = ::istio::networking::v1alpha3;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

YAML::Node Json(const std::string& text) { return YAML::Load(text); }

// The reviews Service of bookinfo, its slice, two pods on two nodes.
ClusterState Bookinfo() {
  ClusterState state;
  state.services["default/reviews"] = *ParseService(Json(R"({
    "metadata": {"name": "reviews", "namespace": "default",
                 "annotations": {"networking.istio.io/exportTo": ".,istio-system"}},
    "spec": {"clusterIP": "10.96.0.20", "selector": {"app": "reviews"},
             "ports": [{"name": "http", "port": 9080, "protocol": "TCP", "targetPort": 9080},
                       {"name": "grpc-web-x", "port": 9090, "protocol": "TCP"},
                       {"name": "metrics", "port": 15014, "protocol": "TCP", "appProtocol": "http2"},
                       {"name": "dns", "port": 53, "protocol": "UDP"}]}})"));
  state.endpoint_slices["default/reviews-abc"] = *ParseEndpointSlice(Json(R"({
    "metadata": {"name": "reviews-abc", "namespace": "default",
                 "labels": {"kubernetes.io/service-name": "reviews"}},
    "addressType": "IPv4",
    "ports": [{"name": "http", "port": 9080}],
    "endpoints": [
      {"addresses": ["10.244.0.5"], "conditions": {"ready": true},
       "targetRef": {"kind": "Pod", "name": "reviews-v1-x", "namespace": "default"}, "nodeName": "n1"},
      {"addresses": ["10.244.1.7"], "conditions": {"ready": true},
       "targetRef": {"kind": "Pod", "name": "reviews-v2-y", "namespace": "default"}, "nodeName": "n2"},
      {"addresses": ["10.244.1.9"], "conditions": {"ready": false},
       "targetRef": {"kind": "Pod", "name": "reviews-v3-z", "namespace": "default"}}]})"));
  state.pods["default/reviews-v1-x"] = *ParsePod(Json(R"({
    "metadata": {"name": "reviews-v1-x", "namespace": "default", "labels": {"app": "reviews", "version": "v1"}},
    "spec": {"serviceAccountName": "bookinfo-reviews", "nodeName": "n1"},
    "status": {"podIP": "10.244.0.5"}})"));
  state.pods["default/reviews-v2-y"] = *ParsePod(Json(R"({
    "metadata": {"name": "reviews-v2-y", "namespace": "default",
                 "labels": {"app": "reviews", "version": "v2", "istio-locality": "eu.west-1a.rack7"}},
    "spec": {"nodeName": "n2"}})"));
  state.nodes["n1"] = *ParseNode(Json(R"({"metadata": {"name": "n1", "labels": {
    "topology.kubernetes.io/region": "us-east", "topology.kubernetes.io/zone": "us-east-1b"}}})"));
  state.nodes["n2"] = *ParseNode(Json(R"({"metadata": {"name": "n2", "labels": {
    "failure-domain.beta.kubernetes.io/region": "old", "failure-domain.beta.kubernetes.io/zone": "z"}}})"));
  return state;
}

TEST(KubeRegistryTest, EndpointsOfAnOlderClusterGiveWhatItsSlicesGive) {
  ClusterState from_slices = Bookinfo();
  ClusterState from_endpoints = from_slices;
  from_endpoints.endpoint_slices.clear();
  absl::StatusOr<std::vector<EndpointSlice>> subsets = ParseEndpoints(Json(R"({
    "metadata": {"name": "reviews", "namespace": "default"},
    "subsets": [{
      "addresses": [
        {"ip": "10.244.0.5", "nodeName": "n1", "targetRef": {"kind": "Pod", "name": "reviews-v1-x"}},
        {"ip": "10.244.1.7", "nodeName": "n2", "targetRef": {"kind": "Pod", "name": "reviews-v2-y"}}],
      "notReadyAddresses": [{"ip": "10.244.1.9", "targetRef": {"kind": "Pod", "name": "reviews-v3-z"}}],
      "ports": [{"name": "http", "port": 9080, "protocol": "TCP"}]}]})"));
  ASSERT_TRUE(subsets.ok()) << subsets.status();
  ASSERT_EQ(subsets->size(), 1u);
  EXPECT_EQ((*subsets)[0].endpoints.size(), 3u);
  from_endpoints.endpoints["default/reviews"] = *subsets;
  const std::vector<mesh::Resource> want = BuildRegistry(from_slices, {});
  const std::vector<mesh::Resource> got = BuildRegistry(from_endpoints, {});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*got[0].spec, *want[0].spec))
      << got[0].spec->DebugString() << "\nwant:\n" << want[0].spec->DebugString();
  EXPECT_EQ(dynamic_cast<const net::ServiceEntry&>(*got[0].spec).endpoints_size(), 2);
  // A nameless object is refused by name; one without subsets has no endpoints.
  EXPECT_THAT(std::string(ParseEndpoints(Json(R"({"metadata": {}})")).status().message()),
              ::testing::HasSubstr("Endpoints"));
  EXPECT_TRUE(ParseEndpoints(Json(R"({"metadata": {"name": "x", "namespace": "d"}})"))->empty());
}

TEST(KubeRegistryTest, AServiceBecomesAServiceEntryAsIstio14ReadIt) {
  std::vector<mesh::Resource> entries = BuildRegistry(Bookinfo(), {.domain = "cluster.local",
                                                                   .trust_domain = "example.org"});
  ASSERT_EQ(entries.size(), 1u);
  const mesh::Resource& entry = entries[0];
  EXPECT_EQ(entry.namespace_name, "default");
  EXPECT_EQ(entry.name, ServiceEntryName("reviews"));
  EXPECT_EQ(entry.annotations.at(kFromServiceAnnotation), "default/reviews");
  const auto* se = entry.As(mesh::kinds::ServiceEntry);
  ASSERT_NE(se, nullptr);
  EXPECT_THAT(se->hosts(), ElementsAre("reviews.default.svc.cluster.local"));
  EXPECT_THAT(se->addresses(), ElementsAre("10.96.0.20"));
  EXPECT_EQ(se->resolution(), net::ServiceEntry::STATIC);
  EXPECT_EQ(se->location(), net::ServiceEntry::MESH_INTERNAL);
  EXPECT_THAT(se->export_to(), ElementsAre(".", "istio-system"));
  ASSERT_EQ(se->ports_size(), 4);
  EXPECT_EQ(se->ports(0).protocol(), "HTTP");
  EXPECT_EQ(se->ports(1).protocol(), "GRPC-Web");
  EXPECT_EQ(se->ports(2).protocol(), "HTTP2");  // appProtocol wins over the name
  EXPECT_EQ(se->ports(3).protocol(), "UDP");
  // Ready endpoints only, with their pods' labels, accounts and localities.
  ASSERT_EQ(se->endpoints_size(), 2);
  const net::WorkloadEntry& v1 = se->endpoints(0);
  EXPECT_EQ(v1.address(), "10.244.0.5");
  EXPECT_EQ(v1.ports().at("http"), 9080u);
  EXPECT_EQ(v1.labels().at("version"), "v1");
  EXPECT_EQ(v1.service_account(), "bookinfo-reviews");
  EXPECT_EQ(v1.locality(), "us-east/us-east-1b");
  const net::WorkloadEntry& v2 = se->endpoints(1);
  EXPECT_EQ(v2.service_account(), "default");
  EXPECT_EQ(v2.locality(), "eu/west-1a/rack7");  // the pod's istio-locality label
  EXPECT_THAT(se->subject_alt_names(),
              UnorderedElementsAre("spiffe://example.org/ns/default/sa/bookinfo-reviews",
                                   "spiffe://example.org/ns/default/sa/default"));
}

TEST(KubeRegistryTest, BetaTopologyLabelsHeadlessAndExternalNameServices) {
  ClusterState state = Bookinfo();
  state.pods.erase("default/reviews-v2-y");  // no pod yet: the node's labels
  state.services["default/reviews"].cluster_ip = "None";
  state.services["default/db"] = *ParseService(Json(R"({
    "metadata": {"name": "db", "namespace": "default"},
    "spec": {"type": "ExternalName", "externalName": "db.example.com",
             "ports": [{"name": "tcp-sql", "port": 5432}]}})"));
  std::vector<mesh::Resource> entries = BuildRegistry(state, {});
  ASSERT_EQ(entries.size(), 2u);
  const auto* db = entries[0].As(mesh::kinds::ServiceEntry);
  EXPECT_THAT(db->hosts(), ElementsAre("db.default.svc.cluster.local"));
  EXPECT_EQ(db->resolution(), net::ServiceEntry::DNS);
  EXPECT_EQ(db->location(), net::ServiceEntry::MESH_EXTERNAL);
  ASSERT_EQ(db->endpoints_size(), 1);
  EXPECT_EQ(db->endpoints(0).address(), "db.example.com");
  const auto* reviews = entries[1].As(mesh::kinds::ServiceEntry);
  EXPECT_TRUE(reviews->addresses().empty());  // headless: no cluster IP
  ASSERT_EQ(reviews->endpoints_size(), 2);   // but its endpoints are served
  EXPECT_EQ(reviews->endpoints(1).locality(), "old/z");
  EXPECT_TRUE(reviews->endpoints(1).labels().empty());
}

TEST(KubeRegistryTest, ObjectsWithoutANameAreRefused) {
  EXPECT_FALSE(ParseService(Json(R"({"metadata": {}})")).ok());
  EXPECT_FALSE(ParsePod(Json("[1, 2]")).ok());
  EXPECT_FALSE(ParseEndpointSlice(Json("{}")).ok());
  // Odd shapes of optional fields are read as absent, not thrown on.
  absl::StatusOr<Service> odd = ParseService(Json(R"({"metadata": {"name": "x", "labels": 7},
                                                      "spec": {"ports": {"a": 1}}})"));
  ASSERT_TRUE(odd.ok());
  EXPECT_TRUE(odd->ports.empty());
  EXPECT_TRUE(odd->meta.labels.empty());
}

}  // namespace
}  // namespace keel::galley::kube
