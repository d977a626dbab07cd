// Renders the chart with real Helm and checks the manifests it produces.
#include <fstream>
#include <set>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integration/harness/mesh.h"
#include "integration/harness/process.h"
#include "libs/mesh/schema.h"
#include "yaml-cpp/yaml.h"

namespace keel::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The rendered manifests, by "Kind/name".
using Manifests = std::map<std::string, YAML::Node>;

CommandResult Helm(std::vector<std::string> args) {
  const std::string home = TestTempDir("helm");
  std::vector<std::string> env_args = {absl::StrCat("HELM_CACHE_HOME=", home, "/cache"),
                                       absl::StrCat("HELM_CONFIG_HOME=", home, "/config"),
                                       absl::StrCat("HELM_DATA_HOME=", home, "/data"),
                                       "/usr/local/bin/helm"};
  args.insert(args.begin(), env_args.begin(), env_args.end());
  absl::StatusOr<CommandResult> result = RunToCompletion("/usr/bin/env", args);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : CommandResult{};
}

Manifests Render(const std::vector<std::string>& sets) {
  std::vector<std::string> args = {"template", "keel", RunfilePath("helm/keel"), "--namespace",
                                   "keel-system"};
  for (const std::string& set : sets) {
    args.push_back("--set");
    args.push_back(set);
  }
  CommandResult result = Helm(args);
  EXPECT_EQ(result.exit.status, 0) << result.err;
  Manifests manifests;
  for (const YAML::Node& doc : YAML::LoadAll(result.out)) {
    if (!doc.IsMap()) continue;
    manifests[absl::StrCat(doc["kind"].as<std::string>(), "/",
                           doc["metadata"]["name"].as<std::string>())] = doc;
  }
  return manifests;
}

std::vector<std::string> Args(const YAML::Node& deployment) {
  return deployment["spec"]["template"]["spec"]["containers"][0]["args"]
      .as<std::vector<std::string>>();
}

TEST(ChartRenderTest, DefaultsRenderEveryComponentWithProbesHpaAndPdb) {
  Manifests manifests = Render({});
  for (const std::string component : {"galley", "pilot", "citadel", "mixer"}) {
    SCOPED_TRACE(component);
    const std::string name = "keel-" + component;
    for (const std::string kind :
         {"Deployment", "Service", "ServiceAccount", "PodDisruptionBudget"}) {
      EXPECT_EQ(manifests.count(kind + "/" + name), 1u) << kind;
    }
    const YAML::Node& container =
        manifests["Deployment/" + name]["spec"]["template"]["spec"]["containers"][0];
    EXPECT_EQ(container["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");
    EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/readyz");
    EXPECT_EQ(container["livenessProbe"]["httpGet"]["port"].as<std::string>(), "monitoring");
  }
  // Citadel does not autoscale by default: one CA replica, fixed count.
  EXPECT_EQ(manifests.count("HorizontalPodAutoscaler/keel-citadel"), 0u);
  EXPECT_EQ(manifests["Deployment/keel-citadel"]["spec"]["replicas"].as<int>(), 1);
  // An autoscaled Deployment leaves replicas to its HPA.
  EXPECT_FALSE(manifests["Deployment/keel-pilot"]["spec"]["replicas"].IsDefined());
  const YAML::Node& hpa = manifests["HorizontalPodAutoscaler/keel-pilot"];
  EXPECT_EQ(hpa["spec"]["maxReplicas"].as<int>(), 5);
  EXPECT_EQ(hpa["spec"]["scaleTargetRef"]["name"].as<std::string>(), "keel-pilot");

  // Pilot: xDS over mTLS on 15011, and in plaintext on 15010 for proxyless
  // gRPC apps, both on its Service.
  EXPECT_THAT(Args(manifests["Deployment/keel-pilot"]), Contains("--grpc_address=:15011"));
  EXPECT_THAT(Args(manifests["Deployment/keel-pilot"]), Contains("--insecure_xds_address=:15010"));
  std::set<int> pilot_ports;
  for (const YAML::Node& port : manifests["Service/keel-pilot"]["spec"]["ports"]) {
    pilot_ports.insert(port["port"].as<int>());
  }
  EXPECT_THAT(pilot_ports, ::testing::IsSupersetOf({15010, 15011}));
  EXPECT_THAT(Args(manifests["Deployment/keel-pilot"]),
              Contains("--galley_address=keel-galley.keel-system.svc:9901"));
  EXPECT_THAT(Args(manifests["Deployment/keel-galley"]), Contains("--config_dir=/etc/keel/config"));
  // Pilot reads the mesh config the chart renders from `meshConfig`.
  EXPECT_THAT(Args(manifests["Deployment/keel-pilot"]),
              Contains("--mesh_config=/etc/keel/mesh/mesh.yaml"));
  EXPECT_THAT(manifests["ConfigMap/keel-mesh"]["data"]["mesh.yaml"].as<std::string>(),
              HasSubstr("trustDomain: cluster.local"));
}

// The chart's default is a control plane that answers only whom it should:
// Galley, Pilot and Mixer serve mTLS with the certificate a keel-agent
// beside each keeps, Galley serves MCP to Pilot's and Mixer's identities,
// and each binary accepts the rendered arguments. Plaintext is a choice
// the values must make, and then says so on every command line.
TEST(ChartRenderTest, TheControlPlaneTalksMutualTlsByDefault) {
  for (const bool mtls : {true, false}) {
    SCOPED_TRACE(mtls ? "controlPlaneMtls" : "plaintext");
    Manifests manifests = Render(mtls ? std::vector<std::string>{}
                                      : std::vector<std::string>{"global.controlPlaneMtls=false"});
    for (const std::string component : {"galley", "pilot", "mixer"}) {
      SCOPED_TRACE(component);
      const YAML::Node& pod = manifests["Deployment/keel-" + component]["spec"]["template"]["spec"];
      std::vector<std::string> args = Args(manifests["Deployment/keel-" + component]);
      std::vector<std::string> containers;
      for (const YAML::Node& container : pod["containers"]) {
        containers.push_back(container["name"].as<std::string>());
      }
      if (mtls) {
        EXPECT_THAT(args, Contains("--tls_cert_dir=/var/run/keel/certs"));
        EXPECT_THAT(args, ::testing::Not(Contains("--insecure_plaintext")));
        EXPECT_THAT(containers, ElementsAre(component, "keel-agent"));
        const std::vector<std::string> agent_args =
            pod["containers"][1]["args"].as<std::vector<std::string>>();
        EXPECT_THAT(agent_args, Contains("--cert_dir=/var/run/keel/certs"));
        bool token = false;
        for (const YAML::Node& volume : pod["volumes"]) {
          const YAML::Node secret = volume["secret"];
          token |= secret.IsDefined() &&
                   secret["secretName"].as<std::string>() == "keel-token-keel-" + component;
        }
        EXPECT_TRUE(token) << "the agent's bootstrap token Secret";
        if (component != "galley") {
          EXPECT_THAT(args,
                      Contains("--galley_identity=spiffe://cluster.local/ns/keel-system/sa/keel-galley"));
        }
      } else {
        EXPECT_THAT(args, Contains("--insecure_plaintext"));
        EXPECT_THAT(containers, ElementsAre(component));
      }
      // The binary takes what the chart renders.
      args.push_back("--version");
      absl::StatusOr<CommandResult> result = RunToCompletion(KeelBinaryPath(component), args);
      ASSERT_TRUE(result.ok()) << result.status();
      EXPECT_EQ(result->exit.status, 0) << result->err;
    }
    EXPECT_THAT(Args(manifests["Deployment/keel-citadel"]), Contains("--certificates_per_second=10"));
    EXPECT_THAT(Args(manifests["Deployment/keel-citadel"]), Contains("--certificate_burst=100"));
    if (mtls) {
      EXPECT_THAT(Args(manifests["Deployment/keel-galley"]),
                  Contains(HasSubstr("--mcp_client_identities=spiffe://cluster.local/ns/keel-system/"
                                     "sa/keel-pilot,spiffe://cluster.local/ns/keel-system/sa/keel-mixer")));
    }
  }
}

TEST(ChartRenderTest, NonDefaultValuesChangeTheManifests) {
  Manifests manifests =
      Render({"pilot.replicas=3", "pilot.autoscaling.enabled=false", "mixer.enabled=false",
              "galley.grpcPort=19901", "global.logFormat=json",
              "configFiles.reviews\\.yaml=kind: VirtualService",
              "pilot.prometheus=prometheus.monitoring:9090"});
  EXPECT_EQ(manifests["Deployment/keel-pilot"]["spec"]["replicas"].as<int>(), 3);
  EXPECT_EQ(manifests.count("HorizontalPodAutoscaler/keel-pilot"), 0u);
  for (const auto& [key, manifest] : manifests) {
    EXPECT_THAT(key, ::testing::Not(HasSubstr("mixer"))) << "mixer is disabled";
  }
  EXPECT_THAT(Args(manifests["Deployment/keel-galley"]), Contains("--grpc_address=:19901"));
  EXPECT_THAT(Args(manifests["Deployment/keel-pilot"]),
              Contains("--galley_address=keel-galley.keel-system.svc:19901"));
  EXPECT_THAT(Args(manifests["Deployment/keel-pilot"]),
              Contains("--prometheus=prometheus.monitoring:9090"));
  EXPECT_THAT(Args(manifests["Deployment/keel-citadel"]), Contains("--log_format=json"));
  EXPECT_EQ(manifests["Service/keel-galley"]["spec"]["ports"][0]["port"].as<int>(), 19901);
  EXPECT_EQ(manifests["ConfigMap/keel-istio-config"]["data"]["reviews.yaml"].as<std::string>(),
            "kind: VirtualService\n");
}

// Citadel's CA: by default a self-signed root on a claim that outlives the
// pod (and the release); with cacerts, Istio's Secret, read-only.
TEST(ChartRenderTest, CitadelKeepsItsRootOnAClaimOrReadsTheCacertsSecret) {
  Manifests manifests = Render({});
  const YAML::Node& pod = manifests["Deployment/keel-citadel"]["spec"]["template"]["spec"];
  EXPECT_THAT(Args(manifests["Deployment/keel-citadel"]), Contains("--ca_dir=/var/lib/keel/ca"));
  EXPECT_THAT(Args(manifests["Deployment/keel-citadel"]), Contains("--ca_mode=self-signed"));
  EXPECT_EQ(manifests.count("PersistentVolumeClaim/keel-citadel-ca"), 1u);
  EXPECT_EQ(manifests["PersistentVolumeClaim/keel-citadel-ca"]["metadata"]["annotations"]
                     ["helm.sh/resource-policy"]
                         .as<std::string>(),
            "keep");
  EXPECT_EQ(pod["securityContext"]["fsGroup"].as<int>(), 1337);
  bool claim = false;
  for (const YAML::Node& volume : pod["volumes"]) {
    const YAML::Node pvc = volume["persistentVolumeClaim"];
    claim |= pvc.IsDefined() && pvc["claimName"].as<std::string>() == "keel-citadel-ca";
  }
  EXPECT_TRUE(claim);

  Manifests plugged = Render({"citadel.caMode=cacerts"});
  EXPECT_EQ(plugged.count("PersistentVolumeClaim/keel-citadel-ca"), 0u);
  const YAML::Node& plugged_pod = plugged["Deployment/keel-citadel"]["spec"]["template"]["spec"];
  std::set<std::string> secrets;
  for (const YAML::Node& volume : plugged_pod["volumes"]) {
    if (volume["secret"].IsDefined()) secrets.insert(volume["secret"]["secretName"].as<std::string>());
  }
  EXPECT_THAT(secrets, ::testing::UnorderedElementsAre("cacerts", "keel-citadel-token-key"));
  EXPECT_THAT(Args(plugged["Deployment/keel-citadel"]),
              Contains("--token_key_file=/var/run/keel/token-key/token-key"));
}

// Every argument the chart passes (addresses in the ":PORT" form included)
// is accepted by the binary's own flag parser: with --version appended the
// binary parses every flag, then exits 0 instead of serving.
TEST(ChartRenderTest, EveryComponentAcceptsTheArgumentsTheChartPasses) {
  for (const auto& sets : std::vector<std::vector<std::string>>{
           {},
           {"galley.grpcPort=19901", "global.logFormat=json", "citadel.caMode=cacerts",
            "pilot.prometheus=prometheus.monitoring:9090"},
           {"galley.source=kubernetes"},
           {"galley.source=etcd", "etcd.mode=bundled"}}) {
    Manifests manifests = Render(sets);
    for (const std::string component : {"galley", "pilot", "citadel", "mixer"}) {
      SCOPED_TRACE(component);
      std::vector<std::string> args = Args(manifests["Deployment/keel-" + component]);
      ASSERT_FALSE(args.empty());
      args.push_back("--version");
      absl::StatusOr<CommandResult> result = RunToCompletion(KeelBinaryPath(component), args);
      ASSERT_TRUE(result.ok()) << result.status();
      EXPECT_EQ(result->exit.status, 0) << result->err;
      EXPECT_THAT(result->out, HasSubstr(component + " version"));
    }
  }
}

// The chart's CRDs are Keel's kind table: every kind, its group, plural and
// scope, every version it is read as served, the one Keel serves stored.
TEST(ChartRenderTest, TheCrdsServeEveryKindOfTheTable) {
  std::map<std::string, YAML::Node> crds;
  for (const YAML::Node& doc : YAML::LoadAllFromFile(RunfilePath("helm/keel/crds/istio-1.4.yaml"))) {
    if (!doc.IsMap()) continue;
    EXPECT_EQ(doc["apiVersion"].as<std::string>(), "apiextensions.k8s.io/v1");
    crds[doc["metadata"]["name"].as<std::string>()] = doc;
  }
  EXPECT_EQ(crds.size(), mesh::AllKinds().size());
  for (const mesh::KindInfo& kind : mesh::AllKinds()) {
    SCOPED_TRACE(kind.kind);
    const std::string name = absl::StrCat(kind.plural(), ".", kind.group);
    ASSERT_EQ(crds.count(name), 1u) << name;
    const YAML::Node spec = crds[name]["spec"];
    EXPECT_EQ(spec["group"].as<std::string>(), kind.group);
    EXPECT_EQ(spec["names"]["kind"].as<std::string>(), kind.kind);
    EXPECT_EQ(spec["names"]["plural"].as<std::string>(), kind.plural());
    EXPECT_EQ(spec["scope"].as<std::string>(), kind.cluster_scoped() ? "Cluster" : "Namespaced");
    std::vector<std::string> served;
    std::vector<std::string> stored;
    for (const YAML::Node& version : spec["versions"]) {
      if (version["served"].as<bool>()) served.push_back(version["name"].as<std::string>());
      if (version["storage"].as<bool>()) stored.push_back(version["name"].as<std::string>());
      // 1.4 had no schemas: a spec keeps every field it is given.
      EXPECT_TRUE(version["schema"]["openAPIV3Schema"]["properties"]["spec"]
                         ["x-kubernetes-preserve-unknown-fields"]
                             .as<bool>());
    }
    EXPECT_EQ(served, kind.accepted_versions);
    EXPECT_THAT(stored, ElementsAre(kind.version));
  }
}

// galley.source: kubernetes grants Galley list and watch of exactly the
// kinds it reads (and its webhook configuration), and the webhook points
// at Galley's Service.
TEST(ChartRenderTest, KubernetesSourceGetsLeastPrivilegeRbacAndTheWebhook) {
  Manifests manifests = Render({"galley.source=kubernetes", "galley.webhook.failurePolicy=Ignore"});
  const YAML::Node role = manifests["ClusterRole/keel-galley-keel-system"];
  ASSERT_TRUE(role.IsMap());
  std::set<std::string> granted;
  for (const YAML::Node& rule : role["rules"]) {
    const auto verbs = rule["verbs"].as<std::vector<std::string>>();
    for (const YAML::Node& group : rule["apiGroups"]) {
      for (const YAML::Node& resource : rule["resources"]) {
        granted.insert(absl::StrCat(group.as<std::string>(), "/", resource.as<std::string>(), ":",
                                    absl::StrJoin(verbs, ",")));
      }
    }
  }
  for (const mesh::KindInfo& kind : mesh::AllKinds()) {
    EXPECT_THAT(granted, Contains(absl::StrCat(kind.group, "/", kind.plural(), ":list,watch")));
  }
  EXPECT_THAT(granted, Contains("/services:list,watch"));
  EXPECT_THAT(granted, Contains("discovery.k8s.io/endpointslices:list,watch"));
  EXPECT_THAT(granted, Contains("admissionregistration.k8s.io/validatingwebhookconfigurations:get,patch"));
  for (const std::string& grant : granted) EXPECT_THAT(grant, ::testing::Not(HasSubstr("*"))) << grant;
  const YAML::Node webhook = manifests["ValidatingWebhookConfiguration/keel-galley-keel-system"];
  ASSERT_TRUE(webhook.IsMap());
  EXPECT_EQ(webhook["webhooks"][0]["failurePolicy"].as<std::string>(), "Ignore");
  EXPECT_EQ(webhook["webhooks"][0]["clientConfig"]["service"]["name"].as<std::string>(), "keel-galley");
  std::vector<std::string> args = Args(manifests["Deployment/keel-galley"]);
  EXPECT_THAT(args, Contains("--config_source=kubernetes"));
  EXPECT_THAT(args, Contains("--webhook_configuration=keel-galley-keel-system"));
  EXPECT_THAT(args, ::testing::Not(Contains("--config_dir=/etc/keel/config")));
  // Files (the default) render none of it.
  Manifests files = Render({});
  EXPECT_EQ(files.count("ClusterRole/keel-galley-keel-system"), 0u);
  EXPECT_THAT(Args(files["Deployment/keel-galley"]), Contains("--config_dir=/etc/keel/config"));
}

// The mesh config the chart renders from `meshConfig` is one Pilot accepts.
TEST(ChartRenderTest, TheRenderedMeshConfigIsValid) {
  Manifests manifests = Render({"meshConfig.defaultVirtualServiceExportTo={.}"});
  const std::string path = TestTempDir("mesh") + "/mesh.yaml";
  std::ofstream(path) << manifests["ConfigMap/keel-mesh"]["data"]["mesh.yaml"].as<std::string>();
  absl::StatusOr<CommandResult> result =
      RunToCompletion(KeelBinaryPath("keelctl"), {"mesh-config", "--mesh_config=" + path});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit.status, 0) << result->err;
  EXPECT_THAT(result->out, HasSubstr("\"rootNamespace\": \"keel-system\""));
  EXPECT_THAT(result->out, HasSubstr("\"defaultVirtualServiceExportTo\": [\n  \".\"\n ]"));
}

TEST(ChartRenderTest, BadValuesAreRejectedNamingTheField) {
  struct Case {
    std::string set;
    std::string message;
  };
  for (const Case& bad : std::vector<Case>{
           {"pilot.replicas=three", "pilot.replicas: Invalid type. Expected: integer"},
           {"galley.grpcPort=70000", "galley.grpcPort: Must be less than or equal to 65535"},
           {"global.logFormat=xml", "global.logFormat"},
           {"citadel.workloadCertTtl=forever", "workloadCertTtl"},
           {"citadel.caMode=vault", "citadel.caMode"},
       }) {
    CommandResult result = Helm({"template", "keel", RunfilePath("helm/keel"), "--set", bad.set});
    EXPECT_NE(result.exit.status, 0) << bad.set;
    EXPECT_THAT(result.err, HasSubstr(bad.message)) << bad.set;
  }
}

// A workload from `workloads` runs keel-agent beside it: the agent's
// arguments are ones keel-agent accepts, and the application is pointed at
// the bootstrap and certificates the agent writes.
TEST(ChartRenderTest, WorkloadsGetKeelAgentBesideThem) {
  Manifests manifests = Render(
      {"workloads[0].name=echo-v1", "workloads[0].image=keel/echo:1",
       "workloads[0].serviceAccount=echo", "workloads[0].labels.version=v1",
       "workloads[0].ports[0].name=grpc", "workloads[0].ports[0].port=8080",
       "workloads[0].service=echo-server", "workloads[0].locality=eu/west-1a",
       "agent.certTtl=1h", "agent.caRootCert=-----BEGIN CERTIFICATE-----"});
  const YAML::Node pod = manifests["Deployment/echo-v1"]["spec"]["template"]["spec"];
  ASSERT_TRUE(pod.IsMap());
  EXPECT_EQ(pod["serviceAccountName"].as<std::string>(), "echo");
  ASSERT_EQ(pod["containers"].size(), 2u);
  // keel-agent first: its postStart hook holds the application.
  const YAML::Node agent = pod["containers"][0];
  const YAML::Node app = pod["containers"][1];
  EXPECT_EQ(agent["name"].as<std::string>(), "keel-agent");
  const std::vector<std::string> args = agent["args"].as<std::vector<std::string>>();
  EXPECT_THAT(args, Contains("--citadel_address=keel-citadel.keel-system.svc.cluster.local:8060"));
  EXPECT_THAT(args, Contains("--pilot_address=keel-pilot.keel-system.svc.cluster.local:15010"));
  EXPECT_THAT(args, Contains("--labels=app=echo-v1,version=v1"));
  EXPECT_THAT(args, Contains("--locality=eu/west-1a"));
  EXPECT_THAT(args, Contains("--cert_ttl=1h"));
  EXPECT_THAT(args, Contains("--monitoring_address=:15020"));
  EXPECT_EQ(agent["readinessProbe"]["httpGet"]["port"].as<std::string>(), "agent-status");

  // keel-agent accepts every argument the chart gives it.
  std::vector<std::string> checked = args;
  checked.push_back("--version");
  absl::StatusOr<CommandResult> accepted = RunToCompletion(KeelBinaryPath("keel-agent"), checked);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->exit.status, 0) << accepted->err;
  // Its postStart command is keel-agent's own: keel-agent accepts it and,
  // pointed where no agent answers (port 1), waits out its timeout and
  // fails (1), naming the address (2 would be a command line it refuses).
  std::vector<std::string> hook =
      agent["lifecycle"]["postStart"]["exec"]["command"].as<std::vector<std::string>>();
  ASSERT_EQ(hook.size(), 3u);
  EXPECT_EQ(hook[0], "/usr/local/bin/keel-agent");
  EXPECT_EQ(hook[2], "--monitoring_address=127.0.0.1:15020");
  hook.erase(hook.begin());
  hook.push_back("--monitoring_address=127.0.0.1:1");
  hook.push_back("--wait_timeout=200ms");
  absl::StatusOr<CommandResult> waited = RunToCompletion(KeelBinaryPath("keel-agent"), hook);
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(waited->exit.status, 1) << waited->err;
  EXPECT_THAT(waited->err, HasSubstr("127.0.0.1:1/readyz not ready"));

  // The application reads the bootstrap and certificates where the agent
  // writes them, from the same volumes.
  std::map<std::string, std::string> flags;
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    if (eq != std::string::npos) flags[arg.substr(0, eq)] = arg.substr(eq + 1);
  }
  EXPECT_EQ(app["env"][0]["name"].as<std::string>(), "GRPC_XDS_BOOTSTRAP");
  EXPECT_EQ(app["env"][0]["value"].as<std::string>(), flags["--bootstrap_file"]);
  std::map<std::string, std::string> app_mounts, agent_mounts;
  for (const YAML::Node& m : app["volumeMounts"]) {
    app_mounts[m["name"].as<std::string>()] = m["mountPath"].as<std::string>();
    EXPECT_TRUE(m["readOnly"].as<bool>());
  }
  for (const YAML::Node& m : agent["volumeMounts"]) {
    agent_mounts[m["name"].as<std::string>()] = m["mountPath"].as<std::string>();
  }
  EXPECT_EQ(app_mounts["keel-certs"], flags["--cert_dir"]);
  EXPECT_EQ(agent_mounts["keel-certs"], flags["--cert_dir"]);
  EXPECT_EQ(agent_mounts["keel-token"] + "/token", flags["--token_file"]);
  EXPECT_EQ(agent_mounts["keel-ca-root"] + "/root-cert.pem", flags["--citadel_root_file"]);
  std::map<std::string, YAML::Node> volumes;
  for (const YAML::Node& v : pod["volumes"]) volumes[v["name"].as<std::string>()] = v;
  EXPECT_EQ(volumes["keel-token"]["secret"]["secretName"].as<std::string>(), "keel-token-echo");
  EXPECT_EQ(volumes["keel-ca-root"]["configMap"]["name"].as<std::string>(), "keel-ca-root-cert");
  EXPECT_EQ(manifests["ConfigMap/keel-ca-root-cert"]["data"]["root-cert.pem"].as<std::string>(),
            "-----BEGIN CERTIFICATE-----");
  EXPECT_EQ(manifests["Service/echo-server"]["spec"]["ports"][0]["port"].as<int>(), 8080);
  EXPECT_TRUE(manifests.count("ServiceAccount/echo"));

  // No workloads, no agent; a workload without its service account is refused.
  EXPECT_FALSE(Render({}).count("ConfigMap/keel-ca-root-cert"));
  CommandResult bad = Helm({"template", "keel", RunfilePath("helm/keel"), "--set",
                            "workloads[0].name=x,workloads[0].image=y"});
  EXPECT_NE(bad.exit.status, 0);
  EXPECT_THAT(bad.err, HasSubstr("serviceAccount is required"));
}

// mixer.mode=split: Istio's istio-policy and istio-telemetry, the mixer
// image as two Deployments with their own autoscalers and overrides.
TEST(ChartRenderTest, MixerSplitsIntoPolicyAndTelemetryThatScaleApart) {
  Manifests manifests = Render({"mixer.mode=split", "mixer.policy.autoscaling.maxReplicas=9"});
  EXPECT_EQ(manifests.count("Deployment/keel-mixer"), 0u);
  for (const std::string name : {"keel-mixer-policy", "keel-mixer-telemetry"}) {
    SCOPED_TRACE(name);
    for (const std::string kind : {"Deployment", "Service", "HorizontalPodAutoscaler"}) {
      EXPECT_EQ(manifests.count(kind + "/" + name), 1u) << kind;
    }
    const YAML::Node& container =
        manifests["Deployment/" + name]["spec"]["template"]["spec"]["containers"][0];
    EXPECT_THAT(container["image"].as<std::string>(), HasSubstr("/mixer:"));
    EXPECT_THAT(Args(manifests["Deployment/" + name]),
                Contains("--galley_address=keel-galley.keel-system.svc:9901"));
    EXPECT_EQ(manifests["Service/" + name]["spec"]["selector"]["app.kubernetes.io/name"]
                  .as<std::string>(),
              name.substr(5));
  }
  EXPECT_EQ(manifests["HorizontalPodAutoscaler/keel-mixer-policy"]["spec"]["maxReplicas"].as<int>(), 9);
  EXPECT_EQ(manifests["HorizontalPodAutoscaler/keel-mixer-telemetry"]["spec"]["maxReplicas"].as<int>(), 5);
  EXPECT_EQ(manifests["Deployment/keel-mixer-telemetry"]["spec"]["template"]["spec"]["containers"][0]
                     ["resources"]["limits"]["memory"]
                         .as<std::string>(),
            "1Gi");
  CommandResult bad = Helm({"template", "keel", RunfilePath("helm/keel"), "--set", "mixer.mode=both"});
  EXPECT_NE(bad.exit.status, 0);
  EXPECT_THAT(bad.err, HasSubstr("mixer"));
}

// etcd.mode: bundled installs a 3-member etcd StatefulSet that Galley and
// Citadel use; external passes the given endpoints; none passes nothing.
TEST(ChartRenderTest, EtcdBundledOrExternalReachesGalleyAndCitadel) {
  Manifests none = Render({});
  EXPECT_EQ(none.count("StatefulSet/keel-etcd"), 0u);
  for (const std::string& arg : Args(none["Deployment/keel-galley"])) {
    EXPECT_THAT(arg, ::testing::Not(HasSubstr("--etcd_endpoints")));
  }
  Manifests bundled = Render({"etcd.mode=bundled"});
  const YAML::Node& etcd = bundled["StatefulSet/keel-etcd"];
  ASSERT_TRUE(etcd.IsDefined());
  EXPECT_EQ(etcd["spec"]["replicas"].as<int>(), 3);
  const auto command = etcd["spec"]["template"]["spec"]["containers"][0]["command"]
                           .as<std::vector<std::string>>();
  EXPECT_THAT(command, Contains(HasSubstr("--initial-cluster=keel-etcd-0=http://keel-etcd-0.keel-etcd."
                                          "keel-system.svc:2380,keel-etcd-1=")));
  EXPECT_EQ(bundled.count("Service/keel-etcd-client"), 1u);
  const std::string flag = "--etcd_endpoints=keel-etcd-client.keel-system.svc:2379";
  EXPECT_THAT(Args(bundled["Deployment/keel-galley"]), Contains(flag));
  EXPECT_THAT(Args(bundled["Deployment/keel-citadel"]), Contains(flag));
  Manifests external = Render({"etcd.mode=external", "etcd.endpoints={10.0.0.1:2379,10.0.0.2:2379}"});
  EXPECT_THAT(Args(external["Deployment/keel-galley"]),
              Contains("--etcd_endpoints=10.0.0.1:2379,10.0.0.2:2379"));
  CommandResult bad = Helm({"template", "keel", RunfilePath("helm/keel"), "--set", "etcd.mode=zookeeper"});
  EXPECT_NE(bad.exit.status, 0);
  EXPECT_THAT(bad.err, HasSubstr("etcd"));
}

}  // namespace
}  // namespace keel::testing

namespace keel::testing {
namespace {

// mode: istiod renders one Deployment of the one-process binary that every
// component's Service names (clients keep their addresses), and the binary
// accepts every argument it is given.
TEST(ChartRenderTest, IstiodModeIsOneDeploymentBehindEveryComponentsService) {
  for (const auto& sets : std::vector<std::vector<std::string>>{
           {"mode=istiod"},
           {"mode=istiod", "etcd.mode=bundled", "citadel.caMode=cacerts", "mixer.enabled=false"}}) {
    SCOPED_TRACE(sets.back());
    Manifests manifests = Render(sets);
    for (const std::string component : {"galley", "pilot", "citadel", "mixer"}) {
      EXPECT_EQ(manifests.count("Deployment/keel-" + component), 0u) << component;
    }
    const YAML::Node& istiod = manifests["Deployment/keel-istiod"];
    ASSERT_TRUE(istiod.IsMap());
    EXPECT_EQ(istiod["spec"]["template"]["spec"]["containers"][0]["image"].as<std::string>()
                  .find("keel/keel:"),
              0u);
    std::set<std::string> container_ports;
    for (const YAML::Node& port : istiod["spec"]["template"]["spec"]["containers"][0]["ports"]) {
      container_ports.insert(port["name"].as<std::string>());
    }
    const bool mixer = sets.size() == 1;
    for (const std::string component : {"pilot", "galley", "citadel", "mixer"}) {
      SCOPED_TRACE(component);
      if (component == "mixer" && !mixer) {
        EXPECT_EQ(manifests.count("Service/keel-mixer"), 0u);
        continue;
      }
      const YAML::Node& service = manifests["Service/keel-" + component];
      ASSERT_TRUE(service.IsMap());
      EXPECT_EQ(service["spec"]["selector"]["app.kubernetes.io/name"].as<std::string>(), "istiod");
      const std::string target = service["spec"]["ports"][0]["targetPort"].as<std::string>();
      EXPECT_THAT(container_ports, Contains(target));
    }

    std::vector<std::string> args = Args(istiod);
    EXPECT_THAT(args, Contains(mixer ? "--mixer_address=:9091" : "--mixer_address="));
    EXPECT_THAT(args, Contains("--ca_address=:8060"));
    if (!mixer) {
      EXPECT_THAT(args, Contains("--etcd_endpoints=keel-etcd-client.keel-system.svc:2379"));
      EXPECT_THAT(args, Contains("--token_key_file=/var/run/keel/token-key/token-key"));
    }
    args.push_back("--version");
    absl::StatusOr<CommandResult> result = RunToCompletion(KeelBinaryPath("keel"), args);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->exit.status, 0) << result->err;
    EXPECT_THAT(result->out, HasSubstr("keel version"));
  }
}

}  // namespace
}  // namespace keel::testing
