// Keel on Kubernetes, against a real kube-apiserver (and its EndpointSlice
// controller) started by the harness: Galley reads Istio's CRDs and the
// cluster's services with the chart's RBAC and nothing more, Pilot serves
// them, and the API server calls Galley's webhook.
#include <ifaddrs.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_replace.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integration/harness/eventually.h"
#include "integration/harness/kube_cluster.h"
#include "integration/harness/mesh.h"
#include "integration/harness/pod_runner.h"
#include "libs/common/files.h"
#include "libs/common/http_client.h"
#include "libs/etcd/client.h"
#include "libs/xds/ads_client.h"
#include "libs/xds/type_urls.h"
#include "yaml-cpp/yaml.h"

namespace keel::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kNamespace[] = "istio-system";  // the chart's release namespace here
constexpr char kReviews[] = "reviews.default.svc.cluster.local";

std::string SharedFile(const std::string& relative) {
  const char* shared = std::getenv("KEEL_SHARED_DIR");
  absl::StatusOr<std::string> text =
      ReadWholeFile(absl::StrCat(shared == nullptr ? "/work/shared" : shared, "/", relative));
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

// HostAddress is a non-loopback IPv4 address of this machine: Kubernetes
// refuses loopback endpoint addresses, so "pods" are echo servers on it.
std::string HostAddress() {
  struct ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string found;
  for (struct ifaddrs* i = list; i != nullptr && found.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &reinterpret_cast<struct sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof(text));
    if (!absl::StartsWith(text, "127.")) found = text;
  }
  freeifaddrs(list);
  return found;
}

// Helm renders the chart's manifests for source: kubernetes.
std::string RenderChart(const std::string& show_only, const std::vector<std::string>& sets = {}) {
  std::vector<std::string> args = {"galley.source=kubernetes", "--show-only", show_only};
  args.insert(args.end(), sets.begin(), sets.end());
  absl::StatusOr<std::string> rendered = HelmTemplate(RunfilePath("helm/keel"), kNamespace, args);
  EXPECT_TRUE(rendered.ok()) << rendered.status();
  return rendered.ok() ? *rendered : "";
}

// The chart's webhook configuration of `kind` (from `rendered`), pointed at
// a Galley on 127.0.0.1:`port`: the API server here has no cluster network
// to reach a Service through. "" if the chart rendered none.
std::string WebhookPointedAt(const std::string& rendered, const std::string& kind, uint16_t port,
                             const std::string& path) {
  const size_t at = rendered.find("kind: " + kind);
  if (at == std::string::npos) return "";
  std::string webhook = "apiVersion: admissionregistration.k8s.io/v1\n" + rendered.substr(at);
  webhook = webhook.substr(0, webhook.find("\n---"));
  const size_t service = webhook.find("      service:");
  const size_t bundle = webhook.find("      # Written by Galley");
  if (service == std::string::npos || bundle == std::string::npos) return "";
  webhook.replace(service, bundle - service,
                  absl::StrCat("      url: https://127.0.0.1:", port, path, "\n"));
  return webhook;
}

class KubeTest : public MeshTest {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<KubeCluster>> cluster = KubeCluster::Start();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = cluster->release();
    absl::StatusOr<std::string> kubeconfig = PrepareForGalley(*cluster_);
    ASSERT_TRUE(kubeconfig.ok()) << kubeconfig.status();
    galley_kubeconfig_ = new std::string(*kubeconfig);
  }

  // PrepareForGalley installs the chart's CRDs, its namespace and Galley's
  // account with the chart's RBAC and nothing more; returns a kubeconfig of
  // that account.
  static absl::StatusOr<std::string> PrepareForGalley(KubeCluster& cluster) {
    absl::StatusOr<std::string> crds = ReadWholeFile(RunfilePath("helm/keel/crds/istio-1.4.yaml"));
    if (!crds.ok()) return crds.status();
    if (absl::Status s = cluster.Apply(*crds); !s.ok()) return s;
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"},
             {"create", "namespace", kNamespace},
             {"create", "serviceaccount", "keel-galley", "-n", kNamespace}}) {
      CommandResult done = cluster.Kubectl(args);
      if (done.exit.status != 0) {
        return absl::InternalError(absl::StrCat("kubectl ", absl::StrJoin(args, " "), ": ", done.err));
      }
    }
    // The ClusterRole and its binding; the webhook configuration is the
    // webhook test's.
    std::string rbac_yaml = RenderChart("templates/galley-kubernetes.yaml");
    rbac_yaml = rbac_yaml.substr(0, rbac_yaml.find("kind: ValidatingWebhookConfiguration"));
    rbac_yaml = rbac_yaml.substr(0, rbac_yaml.rfind("---"));
    if (absl::Status s = cluster.Apply(rbac_yaml); !s.ok()) return s;
    return cluster.ServiceAccountKubeconfig(kNamespace, "keel-galley");
  }

  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  // The suite's cluster, or the one a test runs on its own (UseCluster).
  KubeCluster& kube() { return own_cluster_ != nullptr ? *own_cluster_ : *cluster_; }
  void UseCluster(KubeCluster* cluster, std::string kubeconfig) {
    own_cluster_ = cluster;
    own_kubeconfig_ = std::move(kubeconfig);
  }

  RunningService* StartGalley(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--config_source=kubernetes",
                                     "--kubeconfig=" + (own_cluster_ != nullptr ? own_kubeconfig_
                                                                                : *galley_kubeconfig_),
                                     "--debounce=20ms"};
    args.insert(args.end(), extra.begin(), extra.end());
    absl::StatusOr<RunningService*> galley = mesh().Start("galley", args);
    EXPECT_TRUE(galley.ok()) << galley.status();
    if (!galley.ok()) return nullptr;
    EXPECT_TRUE((*galley)->WaitReady().ok()) << (*galley)->process().Log();
    return *galley;
  }

  RunningService* StartPilot(RunningService* galley) {
    absl::StatusOr<RunningService*> pilot =
        mesh().Start("pilot", {"--galley_address=" + galley->grpc_address(), "--debounce_after=20ms"});
    EXPECT_TRUE(pilot.ok());
    if (!pilot.ok()) return nullptr;
    EXPECT_TRUE((*pilot)->WaitReady().ok()) << (*pilot)->process().Log();
    return *pilot;
  }

  // ApplyReviews creates bookinfo's reviews Service and account, and the
  // node its pods run on, as a kubelet would have registered it.
  absl::Status ApplyReviews() {
    return kube().Apply(R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: bookinfo-reviews, namespace: default}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  ports:
  - {port: 9080, name: http, targetPort: http}
  selector: {app: reviews}
---
apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels: {topology.kubernetes.io/region: us-east, topology.kubernetes.io/zone: us-east-1a}
)");
  }

  // A pod of reviews `version` whose container port "http" is `port`, made
  // Running and Ready at `ip` (there is no kubelet).
  void CreateReviewsPod(const std::string& name, const std::string& version, const std::string& ip,
                        int port, bool ready = true) {
    const absl::Status created = kube().Apply(absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: )", name, R"(
  namespace: default
  labels: {app: reviews, version: )", version, R"(}
spec:
  serviceAccountName: bookinfo-reviews
  nodeName: node-a
  containers:
  - name: reviews
    image: docker.io/istio/examples-bookinfo-reviews-v1:1.15.0
    ports:
    - {name: http, containerPort: )", port, R"(}
)"));
    ASSERT_TRUE(created.ok()) << created;
    const absl::Status running = kube().MarkPodRunning("default", name, ip, ready);
    ASSERT_TRUE(running.ok()) << running;
  }

  // Starts an echo server on `ip` (a port the kernel picks) answering as
  // `version`; returns its port once it serves, 0 on failure.
  int StartEcho(const std::string& ip, const std::string& version) {
    const std::string base = absl::StrCat(TestTempDir("echo"), "/", version);
    absl::StatusOr<ChildProcess> server = ChildProcess::Start(
        RunfilePath("integration/apps/echo_server"),
        {absl::StrCat("--address=", ip, ":0"), "--app_version=" + version,
         "--ports_file=" + base + ".ports"},
        base + ".log");
    if (!server.ok()) return 0;
    absl::StatusOr<PortsFile> ports = WaitForPortsFile(base + ".ports", *server);
    if (!ports.ok() || !WaitForLog(*server, "serving on", absl::Seconds(20))) return 0;
    echo_servers_.push_back(*std::move(server));
    return ports->grpc_port;
  }

  // Calls reviews `count` times through gRPC's xDS resolver; returns the
  // answers by version, and "errors".
  std::map<std::string, int> CallReviews(const std::string& bootstrap, int count) {
    absl::StatusOr<CommandResult> result = RunToCompletion(
        RunfilePath("integration/apps/echo_client"),
        {absl::StrCat("--target=xds:///", kReviews, ":9080"), absl::StrCat("--count=", count),
         "--rpc_timeout=3s"},
        absl::Seconds(120), "", {"GRPC_XDS_BOOTSTRAP=" + bootstrap});
    std::map<std::string, int> counts;
    if (!result.ok()) return counts;
    const size_t at = result->out.rfind("summary ");
    if (at == std::string::npos) return counts;
    for (absl::string_view part : absl::StrSplit(result->out.substr(at + 8), ' ', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
      int n = 0;
      if (absl::SimpleAtoi(kv.second, &n)) counts[kv.first] = n;
    }
    return counts;
  }

  std::vector<ChildProcess> echo_servers_;
  KubeCluster* own_cluster_ = nullptr;
  std::string own_kubeconfig_;

  // Waits until Galley has written its CA into `configuration`
  // ("validatingwebhookconfiguration/NAME" and the like).
  bool WaitForCaBundle(const std::string& kind, const std::string& name) {
    return Eventually(
        [&] {
          absl::StatusOr<std::string> bundle =
              kube().JsonPath({kind, name}, "{.webhooks[0].clientConfig.caBundle}");
          return bundle.ok() && !bundle->empty();
        },
        absl::Seconds(30));
  }

  // StartInjectingGalley runs Galley with the chart's injection template and
  // MutatingWebhookConfiguration (pointed at this Galley: the API server
  // here reaches no Service), once the configuration has Galley's CA and the
  // default namespace asks for injection. RemoveInjection undoes it.
  RunningService* StartInjectingGalley() {
    absl::StatusOr<std::pair<std::string, std::string>> cert =
        kube().IssueServingCertificate("galley-injector", {"127.0.0.1"});
    EXPECT_TRUE(cert.ok()) << cert.status();
    if (!cert.ok()) return nullptr;
    const uint16_t port = PickFreePort();
    const std::string rendered = RenderChart("templates/injection.yaml");
    std::string template_file;
    for (const YAML::Node& doc : YAML::LoadAll(rendered)) {
      if (doc.IsMap() && doc["kind"].as<std::string>() == "ConfigMap") {
        template_file = TestTempDir("injection") + "/injection.yaml";
        std::ofstream(template_file) << doc["data"]["injection.yaml"].as<std::string>();
      }
    }
    const std::string webhook = WebhookPointedAt(rendered, "MutatingWebhookConfiguration", port, "/inject");
    EXPECT_FALSE(template_file.empty() || webhook.empty()) << rendered;
    const absl::Status applied = kube().Apply(webhook);
    EXPECT_TRUE(applied.ok()) << applied << webhook;
    if (template_file.empty() || !applied.ok()) return nullptr;
    RunningService* galley = StartGalley(
        {absl::StrCat("--webhook_address=127.0.0.1:", port), "--webhook_cert=" + cert->first,
         "--webhook_key=" + cert->second, "--webhook_ca=" + kube().ca_file(),
         "--injection_template=" + template_file, "--injection_configuration=" + InjectorName()});
    if (galley == nullptr) return nullptr;
    EXPECT_TRUE(WaitForCaBundle("mutatingwebhookconfiguration", InjectorName())) << galley->process().Log();
    EXPECT_EQ(kube().Kubectl({"label", "namespace", "default", "istio-injection=enabled", "--overwrite"})
                  .exit.status,
              0);
    return galley;
  }
  void RemoveInjection() {
    kube().Kubectl({"delete", "mutatingwebhookconfiguration", InjectorName(), "--ignore-not-found"});
    kube().Kubectl({"label", "namespace", "default", "istio-injection-"});
    // Forced: without a kubelet nothing confirms a graceful deletion.
    kube().Kubectl({"delete", "pods,services", "--all", "-n", "default", "--force", "--grace-period=0"});
    kube().Kubectl({"delete", "secret/keel-token-bookinfo-productpage", "configmap/keel-ca-root-cert", "-n",
                    "default", "--ignore-not-found"});
  }
  static std::string InjectorName() { return absl::StrCat("keel-injector-", kNamespace); }

  static std::string Configz(RunningService* galley) {
    absl::StatusOr<HttpResponse> page = HttpGet(galley->monitoring_address(), "/debug/configz");
    return page.ok() ? page->body : "";
  }

  static KubeCluster* cluster_;
  static std::string* galley_kubeconfig_;
};

KubeCluster* KubeTest::cluster_ = nullptr;
std::string* KubeTest::galley_kubeconfig_ = nullptr;


// The endpoints ("ip:port") a client gets for `cluster`.
std::set<std::string> Endpoints(const xds::AdsClient& client, const std::string& cluster) {
  std::set<std::string> out;
  for (const auto& [name, resource] : client.Resources(xds::kEndpointType)) {
    if (name != cluster) continue;
    envoy::config::endpoint::v3::ClusterLoadAssignment assignment;
    if (!resource->body.UnpackTo(&assignment)) continue;
    for (const auto& locality : assignment.endpoints()) {
      for (const auto& endpoint : locality.lb_endpoints()) {
        const auto& address = endpoint.endpoint().address().socket_address();
        out.insert(absl::StrCat(address.address(), ":", address.port_value()));
      }
    }
  }
  return out;
}

// The weights of the route to `host`'s clusters: "cluster=weight" in order.
std::vector<std::string> RouteWeights(const xds::AdsClient& client, const std::string& route_name) {
  std::vector<std::string> out;
  for (const auto& [name, resource] : client.Resources(xds::kRouteType)) {
    if (name != route_name) continue;
    envoy::config::route::v3::RouteConfiguration route;
    if (!resource->body.UnpackTo(&route)) continue;
    for (const auto& host : route.virtual_hosts()) {
      for (const auto& r : host.routes()) {
        if (r.route().has_weighted_clusters()) {
          for (const auto& c : r.route().weighted_clusters().clusters()) {
            out.push_back(absl::StrCat(c.name(), "=", c.weight().value()));
          }
        } else if (!r.route().cluster().empty()) {
          out.push_back(absl::StrCat(r.route().cluster(), "=100"));
        }
      }
    }
  }
  return out;
}

// What a client holds, for failure messages.
std::string Describe(const xds::AdsClient& client, const std::string& route_name) {
  std::string out = "endpoints:";
  for (const auto& [name, resource] : client.Resources(xds::kEndpointType)) {
    absl::StrAppend(&out, " ", name, "=[");
    for (const std::string& e : Endpoints(client, name)) absl::StrAppend(&out, e, " ");
    absl::StrAppend(&out, "]");
  }
  absl::StrAppend(&out, "\nroute:");
  for (const std::string& w : RouteWeights(client, route_name)) absl::StrAppend(&out, " ", w);
  return out;
}

TEST_F(KubeTest, BookinfoPodsAndIstioRoutingReachAClientAndFollowScaling) {
  const std::string ip = HostAddress();
  ASSERT_FALSE(ip.empty()) << "no non-loopback IPv4 address on this machine";
  auto cleanup = absl::MakeCleanup([&] {
    kube().Kubectl({"delete", "pods,virtualservice,destinationrule,service", "--all", "-n", "default",
                    "--force", "--grace-period=0"});
  });
  RunningService* galley = StartGalley();
  ASSERT_NE(galley, nullptr);
  RunningService* pilot = StartPilot(galley);
  ASSERT_NE(pilot, nullptr);

  // bookinfo's own Kubernetes objects for reviews, then Istio 1.4's samples
  // applied unchanged with kubectl.
  ASSERT_TRUE(kube().Apply(R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: bookinfo-reviews, namespace: default}
---
apiVersion: v1
kind: Service
metadata:
  name: reviews
  namespace: default
  labels: {app: reviews, service: reviews}
spec:
  ports:
  - {port: 9080, name: http, targetPort: http}
  selector: {app: reviews}
)").ok());
  // The EndpointSlice controller places each pod on its node: the nodes
  // are there as a kubelet would have registered them.
  ASSERT_TRUE(kube().Apply(R"(apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels: {topology.kubernetes.io/region: us-east, topology.kubernetes.io/zone: us-east-1a}
)").ok());
  // Each pod is a real gRPC server (echo) on this machine's address.
  const int p1 = StartEcho(ip, "v1"), p2 = StartEcho(ip, "v2"), p3 = StartEcho(ip, "v3"),
            p4 = StartEcho(ip, "v1");
  ASSERT_TRUE(p1 > 0 && p2 > 0 && p3 > 0 && p4 > 0);
  CreateReviewsPod("reviews-v1", "v1", ip, p1);
  CreateReviewsPod("reviews-v2", "v2", ip, p2);
  CreateReviewsPod("reviews-v3", "v3", ip, p3, /*ready=*/false);
  ASSERT_TRUE(kube().Apply(SharedFile("testdata/istio/bookinfo-networking/destination-rule-reviews.yaml")).ok());
  ASSERT_TRUE(kube().Apply(SharedFile("testdata/istio/bookinfo-networking/virtual-service-reviews-80-20.yaml")).ok());

  xds::AdsClientOptions options;
  options.server_address = pilot->grpc_address();
  options.node.set_id("sidecar~10.0.0.9~productpage.default~default.svc.cluster.local");
  auto client = std::make_unique<xds::AdsClient>(options, nullptr);
  const std::string listener = absl::StrCat(kReviews, ":9080");
  auto subset = [](const std::string& version) {
    return absl::StrCat("outbound|9080|", version, "|", kReviews);
  };
  client->Subscribe(xds::kListenerType, {listener});
  client->Subscribe(xds::kRouteType, {listener});
  client->Subscribe(xds::kClusterType, {});
  client->Subscribe(xds::kEndpointType, {subset("v1"), subset("v2"), subset("v3"),
                                         absl::StrCat("outbound|9080||", kReviews)});
  client->Start();
  const std::string v1 = absl::StrCat(ip, ":", p1), v2 = absl::StrCat(ip, ":", p2),
                    v3 = absl::StrCat(ip, ":", p3), v1b = absl::StrCat(ip, ":", p4);
  // Each subset holds the pods its labels select; the unready one is in none.
  ASSERT_TRUE(client->WaitUntil(
      [&](const xds::AdsClient& c) {
        return Endpoints(c, subset("v1")) == std::set<std::string>{v1} &&
               Endpoints(c, subset("v2")) == std::set<std::string>{v2} &&
               RouteWeights(c, listener).size() == 2;
      },
      absl::Seconds(60)))
      << Describe(*client, listener) << "\n" << Configz(galley) << "\n"
      << kube().Kubectl({"get", "endpointslices", "-A", "-o", "yaml"}).out;
  EXPECT_TRUE(Endpoints(*client, subset("v3")).empty());
  EXPECT_EQ(Endpoints(*client, absl::StrCat("outbound|9080||", kReviews)),
            (std::set<std::string>{v1, v2}));
  EXPECT_THAT(RouteWeights(*client, listener),
              ::testing::ElementsAre(subset("v1") + "=80", subset("v2") + "=20"));
  // A real proxyless gRPC client, bootstrapped as keelctl writes it, calls
  // the pods as the VirtualService weighs them.
  const std::string bootstrap = TestTempDir("bootstrap") + "/bootstrap.json";
  absl::StatusOr<CommandResult> written = RunToCompletion(
      KeelBinaryPath("keelctl"), {"bootstrap", "--node_id=sidecar~10.0.0.9~productpage.default~default.svc.cluster.local",
                                  "--pilot=" + pilot->grpc_address(), "--output=" + bootstrap});
  ASSERT_TRUE(written.ok() && written->exit.status == 0);
  std::map<std::string, int> calls = CallReviews(bootstrap, 200);
  EXPECT_EQ(calls["v1"] + calls["v2"], 200) << "errors: " << calls["errors"];
  EXPECT_GT(calls["v1"], calls["v2"]);
  EXPECT_GT(calls["v2"], 0);

  // Scaling: v3 becomes ready, a second v1 pod comes, the first v2 goes.
  ASSERT_TRUE(kube().MarkPodRunning("default", "reviews-v3", ip, true).ok());
  CreateReviewsPod("reviews-v1-b", "v1", ip, p4);
  ASSERT_EQ(kube().Kubectl({"delete", "pod", "reviews-v2", "-n", "default", "--wait=false"}).exit.status, 0);
  EXPECT_TRUE(client->WaitUntil(
      [&](const xds::AdsClient& c) {
        return Endpoints(c, subset("v1")) == std::set<std::string>{v1, v1b} &&
               Endpoints(c, subset("v2")).empty() &&
               Endpoints(c, subset("v3")) == std::set<std::string>{v3};
      },
      absl::Seconds(30)))
      << Configz(galley);
  // A pod turning unready leaves its subset.
  ASSERT_TRUE(kube().MarkPodRunning("default", "reviews-v1", ip, false).ok());
  EXPECT_TRUE(client->WaitUntil(
      [&](const xds::AdsClient& c) {
        return Endpoints(c, subset("v1")) == std::set<std::string>{v1b};
      },
      absl::Seconds(30)));
  // The route follows an edit of the VirtualService.
  ASSERT_TRUE(kube().Apply(SharedFile("testdata/istio/bookinfo-networking/virtual-service-reviews-v3.yaml")).ok());
  EXPECT_TRUE(client->WaitUntil(
      [&](const xds::AdsClient& c) {
        return RouteWeights(c, listener) == std::vector<std::string>{subset("v3") + "=100"};
      },
      absl::Seconds(30)));
  client->Stop();
  EXPECT_TRUE(Eventually([&] { return CallReviews(bootstrap, 50)["v3"] == 50; }, absl::Seconds(20),
                         absl::ZeroDuration()));
  // The Service is served as Galley made it, named after it.
  EXPECT_THAT(Configz(galley), HasSubstr("\"name\":\"default/kubernetes:reviews\""));
}

// A cluster that serves no EndpointSlices (before 1.21, or the group
// turned off): Galley reads core/v1 Endpoints, which the Endpoints
// controller writes, with the chart's RBAC.
TEST_F(KubeTest, AClusterWithoutEndpointSlicesIsReadFromItsEndpoints) {
  const std::string ip = HostAddress();
  ASSERT_FALSE(ip.empty()) << "no non-loopback IPv4 address on this machine";
  absl::StatusOr<std::unique_ptr<KubeCluster>> older =
      KubeCluster::Start({.endpoint_slices = false});
  ASSERT_TRUE(older.ok()) << older.status();
  EXPECT_THAT((*older)->Kubectl({"api-resources", "--api-group=discovery.k8s.io"}).out,
              ::testing::Not(HasSubstr("endpointslices")));
  absl::StatusOr<std::string> kubeconfig = PrepareForGalley(**older);
  ASSERT_TRUE(kubeconfig.ok()) << kubeconfig.status();
  UseCluster(older->get(), *kubeconfig);
  auto cleanup = absl::MakeCleanup([&] { UseCluster(nullptr, ""); });

  ASSERT_TRUE(ApplyReviews().ok());
  const int p1 = StartEcho(ip, "v1"), p2 = StartEcho(ip, "v2");
  ASSERT_TRUE(p1 > 0 && p2 > 0);
  CreateReviewsPod("reviews-v1", "v1", ip, p1);
  CreateReviewsPod("reviews-v2", "v2", ip, p2, /*ready=*/false);
  RunningService* galley = StartGalley();
  ASSERT_NE(galley, nullptr);
  EXPECT_TRUE(WaitForLog(galley->process(), "reading core/v1 Endpoints", absl::Seconds(5)));
  RunningService* pilot = StartPilot(galley);
  ASSERT_NE(pilot, nullptr);

  xds::AdsClientOptions options;
  options.server_address = pilot->grpc_address();
  options.node.set_id("sidecar~10.0.0.9~productpage.default~default.svc.cluster.local");
  xds::AdsClient client(options, nullptr);
  const std::string cluster = absl::StrCat("outbound|9080||", kReviews);
  client.Subscribe(xds::kClusterType, {});
  client.Subscribe(xds::kEndpointType, {cluster});
  client.Start();
  const std::string v1 = absl::StrCat(ip, ":", p1), v2 = absl::StrCat(ip, ":", p2);
  // The ready pod only, then both once the other turns ready.
  EXPECT_TRUE(client.WaitUntil(
      [&](const xds::AdsClient& c) { return Endpoints(c, cluster) == std::set<std::string>{v1}; },
      absl::Seconds(60)))
      << Configz(galley) << kube().Kubectl({"get", "endpoints", "-A", "-o", "yaml"}).out;
  ASSERT_TRUE(kube().MarkPodRunning("default", "reviews-v2", ip, true).ok());
  EXPECT_TRUE(client.WaitUntil(
      [&](const xds::AdsClient& c) { return Endpoints(c, cluster) == std::set<std::string>{v1, v2}; },
      absl::Seconds(30)))
      << Configz(galley);
  client.Stop();
  // A real gRPC client reaches both pods.
  const std::string bootstrap = TestTempDir("bootstrap-older") + "/bootstrap.json";
  absl::StatusOr<CommandResult> written = RunToCompletion(
      KeelBinaryPath("keelctl"),
      {"bootstrap", "--node_id=sidecar~10.0.0.9~productpage.default~default.svc.cluster.local",
       "--pilot=" + pilot->grpc_address(), "--output=" + bootstrap});
  ASSERT_TRUE(written.ok() && written->exit.status == 0);
  std::map<std::string, int> calls = CallReviews(bootstrap, 40);
  EXPECT_EQ(calls["v1"] + calls["v2"], 40) << "errors: " << calls["errors"];
  EXPECT_GT(calls["v2"], 0);
}

TEST_F(KubeTest, TheApiServerCallsGalleysWebhookAndItsFailurePolicyHolds) {
  absl::StatusOr<std::pair<std::string, std::string>> cert =
      kube().IssueServingCertificate("galley-webhook", {"127.0.0.1"});
  ASSERT_TRUE(cert.ok()) << cert.status();
  const uint16_t port = PickFreePort();
  const std::string name = absl::StrCat("keel-galley-", kNamespace);
  const std::string webhook = WebhookPointedAt(RenderChart("templates/galley-kubernetes.yaml"),
                                               "ValidatingWebhookConfiguration", port, "/validate");
  ASSERT_FALSE(webhook.empty());
  ASSERT_TRUE(kube().Apply(webhook).ok()) << webhook;
  // Whatever happens here, the next tests need an API server without it.
  auto cleanup = absl::MakeCleanup([&] {
    kube().Kubectl({"delete", "validatingwebhookconfiguration", name, "--ignore-not-found"});
    kube().Kubectl({"delete", "virtualservice", "broken", "ratings", "-n", "default",
                    "--ignore-not-found"});
  });

  RunningService* galley = StartGalley(
      {absl::StrCat("--webhook_address=127.0.0.1:", port), "--webhook_cert=" + cert->first,
       "--webhook_key=" + cert->second, "--webhook_ca=" + kube().ca_file(),
       "--webhook_configuration=" + name});
  ASSERT_NE(galley, nullptr);
  // Galley writes the CA bundle (with the chart's RBAC: get and patch of
  // this one configuration); then the API server can call it.
  ASSERT_TRUE(WaitForCaBundle("validatingwebhookconfiguration", name)) << galley->process().Log();
  // A bundle reset (as a helm upgrade of the chart's empty one does) is
  // written again within Galley's check interval (30 s).
  ASSERT_EQ(kube().Kubectl({"patch", "validatingwebhookconfiguration", name, "--type=json", "-p",
                            R"([{"op":"replace","path":"/webhooks/0/clientConfig/caBundle","value":""}])"})
                .exit.status,
            0);
  ASSERT_TRUE(Eventually(
      [&] {
        absl::StatusOr<std::string> bundle = kube().JsonPath(
            {"validatingwebhookconfiguration", name}, "{.webhooks[0].clientConfig.caBundle}");
        return bundle.ok() && !bundle->empty();
      },
      absl::Seconds(45)))
      << galley->process().Log();

  const std::string broken = R"(apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: broken, namespace: default}
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {host: ratings, subset: v1}
      weight: 30
    - destination: {host: ratings, subset: v2}
      weight: 30
)";
  // kubectl apply of invalid config is refused with Keel's message, and
  // nothing reaches Galley.
  absl::Status refused;
  ASSERT_TRUE(Eventually(
      [&] {
        refused = kube().Apply(broken);
        return !refused.ok() && absl::StrContains(refused.message(), "denied the request");
      },
      absl::Seconds(30)))
      << refused;
  EXPECT_THAT(refused.message(), HasSubstr("weight"));
  EXPECT_NE(kube().Kubectl({"get", "virtualservice", "broken", "-n", "default"}).exit.status, 0);
  EXPECT_THAT(Configz(galley), ::testing::Not(HasSubstr("default/broken")));
  // A valid one lands and Galley serves it.
  ASSERT_TRUE(kube().Apply(SharedFile("testdata/istio/bookinfo-networking/virtual-service-ratings-test-abort.yaml")).ok());
  EXPECT_TRUE(Eventually([&] { return absl::StrContains(Configz(galley), "\"name\":\"default/ratings\""); },
                         absl::Seconds(20)));

  // Galley down, failurePolicy Fail (the chart's default): nothing changes.
  galley->Stop();
  absl::Status while_down = kube().Apply(broken);
  EXPECT_FALSE(while_down.ok());
  EXPECT_THAT(while_down.message(), HasSubstr("failed calling webhook"));
  // failurePolicy Ignore: admitted unvalidated...
  ASSERT_EQ(kube().Kubectl({"patch", "validatingwebhookconfiguration", name, "--type=json", "-p",
                            R"([{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Ignore"}])"})
                .exit.status,
            0);
  EXPECT_TRUE(kube().Apply(broken).ok());
  // ...and a Galley that comes back refuses to serve it, naming the object.
  RunningService* again = StartGalley();
  ASSERT_NE(again, nullptr);
  const std::string configz = Configz(again);
  EXPECT_THAT(configz, HasSubstr("virtualservices.networking.istio.io default/broken"));
  EXPECT_THAT(configz, HasSubstr("weight"));
  EXPECT_THAT(configz, ::testing::Not(HasSubstr("\"name\":\"default/broken\"")));
}

TEST_F(KubeTest, AnExpiredWatchListsAgainAndMissesNoDeletion) {
  ASSERT_TRUE(kube().Apply(R"(apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: kept, namespace: default}
spec: {hosts: [kept], http: [{route: [{destination: {host: kept}}]}]}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: deleted, namespace: default}
spec: {hosts: [deleted], http: [{route: [{destination: {host: deleted}}]}]}
)").ok());
  auto cleanup = absl::MakeCleanup([&] {
    kube().Kubectl({"delete", "virtualservice", "--all", "-n", "default"});
  });
  RunningService* galley = StartGalley();
  ASSERT_NE(galley, nullptr);
  ASSERT_TRUE(Eventually([&] { return absl::StrContains(Configz(galley), "default/deleted"); },
                         absl::Seconds(20)));
  // Galley stops (a hung process), and the API server restarts under it:
  // its connections are gone with nothing sent. Then one object goes, one
  // comes, etcd's history is compacted and the API server restarts again,
  // so the versions Galley will resume from are gone.
  ASSERT_EQ(kill(galley->process().pid(), SIGSTOP), 0);
  kube().StopApiServer();
  ASSERT_TRUE(kube().StartApiServer().ok());
  ASSERT_EQ(kube().Kubectl({"delete", "virtualservice", "deleted", "-n", "default"}).exit.status, 0);
  ASSERT_TRUE(kube().Apply(R"(apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: added, namespace: default}
spec: {hosts: [added], http: [{route: [{destination: {host: added}}]}]}
)").ok());
  kube().StopApiServer();
  {
    absl::StatusOr<std::unique_ptr<etcd::EtcdClient>> etcd =
        etcd::EtcdClient::Connect({.endpoints = kube().etcd().endpoints()});
    ASSERT_TRUE(etcd.ok());
    absl::StatusOr<int64_t> revision = (*etcd)->Put("/keel-test/compact", "now");
    ASSERT_TRUE(revision.ok());
    ASSERT_TRUE((*etcd)->Compact(*revision).ok());
  }
  ASSERT_TRUE(kube().StartApiServer().ok());
  ASSERT_EQ(kill(galley->process().pid(), SIGCONT), 0);
  // Its watches resume from versions that are gone: 410, so it lists again.
  EXPECT_TRUE(Eventually(
      [&] {
        const std::string configz = Configz(galley);
        return absl::StrContains(configz, "default/added") &&
               !absl::StrContains(configz, "default/deleted") &&
               absl::StrContains(configz, "default/kept") &&
               !absl::StrContains(configz, "\"relists\":0,");
      },
      absl::Seconds(60)))
      << Configz(galley);
}

TEST_F(KubeTest, AProxylessPodGetsKeelAgentInjectedAsTheChartDescribesIt) {
  auto cleanup = absl::MakeCleanup([&] { RemoveInjection(); });
  ASSERT_NE(StartInjectingGalley(), nullptr);
  kube().Kubectl({"create", "serviceaccount", "bookinfo-ratings", "-n", "default"});
  auto pod = [](const std::string& pod_name, const std::string& annotation) {
    return absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: )", pod_name, R"(
  namespace: default
  labels: {app: ratings, version: v1}
  annotations: {)", annotation, R"(}
spec:
  serviceAccountName: bookinfo-ratings
  containers:
  - name: ratings
    image: docker.io/istio/examples-bookinfo-ratings-v1:1.15.0
    env: [{name: SERVICE_VERSION, value: v1}]
)");
  };
  ASSERT_TRUE(kube().Apply(pod("ratings-grpc", "inject.istio.io/templates: grpc-agent")).ok());
  ASSERT_TRUE(kube().Apply(pod("ratings-plain", "")).ok());

  CommandResult got = kube().Kubectl({"get", "pod", "ratings-grpc", "-n", "default", "-o", "json"});
  ASSERT_EQ(got.exit.status, 0);
  const YAML::Node injected = YAML::Load(got.out);
  const YAML::Node containers = injected["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u) << got.out;
  // keel-agent first (its postStart hook holds the application), then the
  // application: its own env kept, the bootstrap's added, and the mounts.
  const YAML::Node app = containers[1];
  EXPECT_EQ(app["env"][0]["name"].as<std::string>(), "SERVICE_VERSION");
  EXPECT_EQ(app["env"][1]["name"].as<std::string>(), "GRPC_XDS_BOOTSTRAP");
  EXPECT_EQ(app["env"][1]["value"].as<std::string>(), "/var/run/keel/bootstrap/bootstrap.json");
  std::set<std::string> mounts;
  for (const YAML::Node& m : app["volumeMounts"]) mounts.insert(m["mountPath"].as<std::string>());
  EXPECT_TRUE(mounts.count("/var/run/keel/bootstrap") && mounts.count("/var/run/keel/certs"));
  // keel-agent, with the pod's labels as node metadata.
  const YAML::Node agent = containers[0];
  EXPECT_EQ(agent["name"].as<std::string>(), "keel-agent");
  const auto args = agent["args"].as<std::vector<std::string>>();
  EXPECT_THAT(args, ::testing::Contains("--labels=app=ratings,version=v1"));
  EXPECT_THAT(args, ::testing::Contains("--bootstrap_file=/var/run/keel/bootstrap/bootstrap.json"));
  EXPECT_EQ(agent["ports"][0]["containerPort"].as<int>(), 15020);
  // The bootstrap token of the pod's own service account, mode 0400.
  bool token = false;
  for (const YAML::Node& v : injected["spec"]["volumes"]) {
    if (v["name"].as<std::string>() != "keel-token") continue;
    token = true;
    EXPECT_EQ(v["secret"]["secretName"].as<std::string>(), "keel-token-bookinfo-ratings");
    EXPECT_EQ(v["secret"]["defaultMode"].as<int>(), 0400);
  }
  EXPECT_TRUE(token) << got.out;
  EXPECT_EQ(injected["metadata"]["annotations"]["keel.io/injected"].as<std::string>(), "grpc-agent");
  // A pod that does not ask is left alone.
  CommandResult plain = kube().Kubectl({"get", "pod", "ratings-plain", "-n", "default", "-o",
                                        "jsonpath={.spec.containers[*].name}"});
  EXPECT_EQ(plain.out, "ratings");
}

// The injected pod run as the kubelet would run it (PodRunner): keel-agent
// first, from the pod's own token Secret and root ConfigMap, until its
// postStart hook says it is ready; then the application, a real gRPC client
// with exactly the env the injection gave it, calls reviews through Pilot.
TEST_F(KubeTest, AnInjectedPodRunsWithItsInjectedEnvAgainstPilot) {
  const std::string ip = HostAddress();
  ASSERT_FALSE(ip.empty()) << "no non-loopback IPv4 address on this machine";
  auto cleanup = absl::MakeCleanup([&] { RemoveInjection(); });
  RunningService* galley = StartInjectingGalley();
  ASSERT_NE(galley, nullptr);
  RunningService* pilot = StartPilot(galley);
  ASSERT_NE(pilot, nullptr);
  absl::StatusOr<RunningService*> citadel = mesh().Start("citadel");
  ASSERT_TRUE(citadel.ok()) << citadel.status();
  ASSERT_TRUE((*citadel)->WaitReady().ok()) << (*citadel)->process().Log();

  // reviews, served by one pod, and the client's account.
  ASSERT_TRUE(ApplyReviews().ok());
  ASSERT_EQ(kube().Kubectl({"create", "serviceaccount", "bookinfo-productpage", "-n", "default"}).exit.status, 0);
  const int reviews_port = StartEcho(ip, "v1");
  ASSERT_GT(reviews_port, 0);
  CreateReviewsPod("reviews-for-injected", "v1", ip, reviews_port);

  // What the operator provides per namespace (docs/kubernetes.md): the
  // bootstrap token of the account, and Citadel's root.
  absl::StatusOr<CommandResult> token =
      RunToCompletion(KeelBinaryPath("citadel"), {"--ca_dir=" + (*citadel)->citadel_ca_dir,
                                                  "issue-token", "default", "bookinfo-productpage"});
  ASSERT_TRUE(token.ok() && token->exit.status == 0);
  ASSERT_EQ(kube().Kubectl({"create", "secret", "generic", "keel-token-bookinfo-productpage", "-n",
                            "default", "--from-literal=token=" + token->out})
                .exit.status,
            0);
  ASSERT_EQ(kube().Kubectl({"create", "configmap", "keel-ca-root-cert", "-n", "default",
                            "--from-file=root-cert.pem=" + (*citadel)->citadel_serving_dir +
                                "/root-cert.pem"})
                .exit.status,
            0);
  // The application: the client, asking Pilot for reviews.
  ASSERT_TRUE(kube().Apply(absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: productpage
  namespace: default
  labels: {app: productpage, version: v1}
  annotations: {inject.istio.io/templates: grpc-agent}
spec:
  serviceAccountName: bookinfo-productpage
  nodeName: node-a
  containers:
  - name: productpage
    image: keel/echo-client:test
    args: ["--target=xds:///)", kReviews, R"(:9080", "--count=20", "--rpc_timeout=5s"]
)")).ok());
  ASSERT_TRUE(kube().MarkPodRunning("default", "productpage", ip, /*ready=*/false).ok());

  // Cluster DNS and the pod's own network, as the runner stands them in.
  const std::string citadel_port = (*citadel)->grpc_address().substr((*citadel)->grpc_address().rfind(':') + 1);
  const uint16_t status_port = PickFreePort();
  PodRunner runner(kube(), {
      .programs = {{"keel/agent", KeelBinaryPath("keel-agent")},
                   {"keel/echo-client", RunfilePath("integration/apps/echo_client")}},
      .rewrites = {
          {absl::StrCat("keel-citadel.", kNamespace, ".svc.cluster.local:8060"), "localhost:" + citadel_port},
          {absl::StrCat("keel-pilot.", kNamespace, ".svc.cluster.local:15010"), pilot->grpc_address()},
          {"--monitoring_address=:15020", absl::StrCat("--monitoring_address=127.0.0.1:", status_port)},
          {"127.0.0.1:15020", absl::StrCat("127.0.0.1:", status_port)}}});
  absl::StatusOr<std::unique_ptr<RunningPod>> pod = runner.Run("default", "productpage");
  ASSERT_TRUE(pod.ok()) << pod.status();
  RunningContainer* agent = (*pod)->Find("keel-agent");
  RunningContainer* app = (*pod)->Find("productpage");
  ASSERT_TRUE(agent != nullptr && app != nullptr);
  // The application got exactly the injected env; the bootstrap it names
  // is the agent's, for this pod, and a certificate was there before it
  // started (the hook returned).
  ASSERT_EQ(app->env.size(), 1u);
  const std::string bootstrap_path = (*pod)->volumes_dir + "/keel-bootstrap/bootstrap.json";
  EXPECT_EQ(app->env[0], "GRPC_XDS_BOOTSTRAP=" + bootstrap_path);
  absl::StatusOr<std::string> bootstrap = ReadWholeFile(bootstrap_path);
  ASSERT_TRUE(bootstrap.ok()) << agent->process->Log();
  EXPECT_THAT(*bootstrap, HasSubstr(absl::StrCat("sidecar~", ip, "~productpage.default~default.svc.cluster.local")));
  EXPECT_THAT(*bootstrap, HasSubstr("\"app\":\"productpage\""));
  EXPECT_TRUE(std::filesystem::exists((*pod)->volumes_dir + "/keel-certs/cert-chain.pem"))
      << agent->process->Log();
  absl::StatusOr<ExitInfo> ended = app->process->Wait(absl::Seconds(90));
  ASSERT_TRUE(ended.ok()) << app->process->Log();
  EXPECT_EQ(ended->status, 0) << app->process->Log();
  EXPECT_THAT(app->process->Log(), HasSubstr("total=20 v1=20 errors=0")) << agent->process->Log();
  EXPECT_EQ(agent->process->Terminate().status, 0) << agent->process->Log();
}

TEST_F(KubeTest, KeelctlAnalyzesTheLiveClustersConfig) {
  auto cleanup = absl::MakeCleanup([&] {
    kube().Kubectl({"delete", "virtualservice,destinationrule,service", "--all", "-n", "default"});
  });
  ASSERT_TRUE(kube().Apply(R"(apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec:
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: ratings, namespace: default}
spec:
  host: ratings
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http: [{route: [{destination: {host: ratings, subset: v9}}]}]
)").ok());
  absl::StatusOr<CommandResult> analyzed = RunToCompletion(
      KeelBinaryPath("keelctl"), {"analyze", "--kubeconfig=" + kube().admin_kubeconfig()});
  ASSERT_TRUE(analyzed.ok());
  EXPECT_EQ(analyzed->exit.status, 1) << analyzed->out << analyzed->err;
  // The subset the VirtualService names is in no DestinationRule of the cluster.
  EXPECT_THAT(analyzed->err, HasSubstr("IST0101"));
  EXPECT_THAT(analyzed->err, HasSubstr("VirtualService default/ratings"));
  EXPECT_THAT(analyzed->err, HasSubstr("v9"));
  // A fix through kubectl, and the live cluster analyzes clean.
  ASSERT_EQ(kube().Kubectl({"patch", "virtualservice", "ratings", "-n", "default", "--type=json", "-p",
                            R"([{"op":"replace","path":"/spec/http/0/route/0/destination/subset","value":"v1"}])"})
                .exit.status,
            0);
  analyzed = RunToCompletion(KeelBinaryPath("keelctl"),
                             {"analyze", "--kubeconfig=" + kube().admin_kubeconfig()});
  ASSERT_TRUE(analyzed.ok());
  EXPECT_EQ(analyzed->exit.status, 0) << analyzed->out << analyzed->err;
  EXPECT_THAT(analyzed->out, HasSubstr("No validation issues found"));
  // A kubeconfig that cannot be used says why, naming it.
  analyzed = RunToCompletion(KeelBinaryPath("keelctl"), {"analyze", "--kubeconfig=/nonexistent/config"});
  ASSERT_TRUE(analyzed.ok());
  EXPECT_EQ(analyzed->exit.status, 1);
  EXPECT_THAT(analyzed->err, HasSubstr("/nonexistent/config"));
}

// A Galley that cannot list every type never serves: a partial snapshot
// would tell Pilot that the rest was deleted.
TEST_F(KubeTest, WithoutItsRbacGalleyServesNothingAndSaysWhy) {
  ASSERT_EQ(kube().Kubectl({"create", "serviceaccount", "nobody", "-n", kNamespace}).exit.status, 0);
  absl::StatusOr<std::string> kubeconfig = kube().ServiceAccountKubeconfig(kNamespace, "nobody");
  ASSERT_TRUE(kubeconfig.ok()) << kubeconfig.status();
  absl::StatusOr<CommandResult> run = RunToCompletion(
      KeelBinaryPath("galley"),
      {"--config_source=kubernetes", "--kubeconfig=" + *kubeconfig, "--kube_sync_timeout=3s",
       "--insecure_plaintext", "--grpc_address=127.0.0.1:0", "--monitoring_address=127.0.0.1:0"},
      absl::Seconds(60));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_NE(run->exit.status, 0);
  const std::string said = run->out + run->err;
  EXPECT_THAT(said, HasSubstr("not listed within 3s"));
  EXPECT_THAT(said, HasSubstr("virtualservices.networking.istio.io"));
  EXPECT_THAT(said, HasSubstr("forbidden"));
  EXPECT_THAT(said, HasSubstr("system:serviceaccount:istio-system:nobody"));
}

// A kind whose CRD is not installed holds nothing (Galley still starts),
// and is picked up once it is.
TEST_F(KubeTest, AKindWithoutItsCrdHoldsNothingUntilTheCrdComes) {
  const std::string crd = "templates.config.istio.io";
  absl::StatusOr<std::string> crds = ReadWholeFile(RunfilePath("helm/keel/crds/istio-1.4.yaml"));
  ASSERT_TRUE(crds.ok());
  auto cleanup = absl::MakeCleanup([&] {
    EXPECT_TRUE(kube().Apply(*crds).ok());
    kube().Kubectl({"delete", "templates.config.istio.io", "--all", "-A"});
  });
  ASSERT_EQ(kube().Kubectl({"delete", "crd", crd, "--wait=true"}).exit.status, 0);
  RunningService* galley = StartGalley();
  ASSERT_NE(galley, nullptr);
  EXPECT_THAT(Configz(galley), HasSubstr("\"absentTypes\":1,"));
  ASSERT_TRUE(kube().Apply(*crds).ok());
  ASSERT_EQ(kube().Kubectl({"wait", "--for=condition=Established", "crd", crd, "--timeout=60s"})
                .exit.status,
            0);
  ASSERT_TRUE(kube().Apply(R"(apiVersion: config.istio.io/v1alpha2
kind: template
metadata: {name: listentry, namespace: istio-system}
spec:
  descriptor: ""
)").ok());
  EXPECT_TRUE(Eventually(
      [&] {
        const std::string configz = Configz(galley);
        return absl::StrContains(configz, "\"absentTypes\":0,") &&
               absl::StrContains(configz, "templates.config.istio.io istio-system/listentry");
      },
      absl::Seconds(30)))
      << Configz(galley);
}

}  // namespace
}  // namespace keel::testing
