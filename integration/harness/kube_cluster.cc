#include "integration/harness/kube_cluster.h"

#include <unistd.h>

#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "integration/harness/eventually.h"
#include "integration/harness/mesh.h"
#include "libs/common/files.h"

namespace keel::testing {
namespace {

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// Openssl runs the openssl command; its output goes into the error.
absl::Status Openssl(const std::vector<std::string>& args) {
  absl::StatusOr<CommandResult> run = RunToCompletion("/usr/bin/openssl", args, absl::Seconds(30));
  if (!run.ok()) return run.status();
  if (!run->exit.exited || run->exit.status != 0) {
    return absl::InternalError(absl::StrCat("openssl ", absl::StrJoin(args, " "), ": ", run->err));
  }
  return absl::OkStatus();
}

std::string Kubeconfig(const std::string& server, const std::string& ca_file,
                       const std::string& user_fields) {
  return absl::StrCat(R"(apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: )", server, R"(
    certificate-authority: )", ca_file, R"(
users:
- name: user
  user:
)", user_fields, R"(contexts:
- name: test
  context: {cluster: test, user: user}
current-context: test
)");
}

}  // namespace

std::string KubeBinary(const std::string& name) {
  if (const char* dir = std::getenv("KEEL_KUBE_BIN"); dir != nullptr && *dir != '\0') {
    return absl::StrCat(dir, "/", name);
  }
  return absl::StrCat("/usr/local/bin/", name);
}

absl::StatusOr<std::unique_ptr<KubeCluster>> KubeCluster::Start(Options options) {
  for (const char* binary : {"kube-apiserver", "kube-controller-manager", "kubectl"}) {
    if (access(KubeBinary(binary).c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          KubeBinary(binary), " is not installed: run scripts/install-deps.sh"));
    }
  }
  auto cluster = std::unique_ptr<KubeCluster>(new KubeCluster());
  const std::string dir = TestTempDir("kube");
  cluster->dir_ = dir;
  // A CA, the API server's serving certificate, the administrator's client
  // certificate, and the service-account signing key.
  const std::string ext = dir + "/x509.cnf";
  if (absl::Status s = WriteText(ext, R"([req]
distinguished_name = dn
[dn]
[server]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost, DNS:kubernetes.default.svc
[client]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
)");
      !s.ok()) {
    return s;
  }
  const std::string ca_key = dir + "/ca.key";
  cluster->ca_file_ = dir + "/ca.crt";
  auto key_and_csr = [&](const std::string& stem, const std::string& subject) {
    return Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", dir + "/" + stem + ".key", "-out", dir + "/" + stem + ".csr",
                    "-subj", subject});
  };
  auto sign = [&](const std::string& stem, const std::string& extensions) {
    return Openssl({"x509", "-req", "-in", dir + "/" + stem + ".csr", "-CA", cluster->ca_file_,
                    "-CAkey", ca_key, "-CAcreateserial", "-out", dir + "/" + stem + ".crt",
                    "-days", "2", "-extfile", ext, "-extensions", extensions});
  };
  for (const absl::Status& s :
       {Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", ca_key, "-out", cluster->ca_file_, "-days", "2", "-subj",
                 "/CN=keel-test-kubernetes-ca"}),
        key_and_csr("apiserver", "/CN=kube-apiserver"), sign("apiserver", "server"),
        key_and_csr("admin", "/O=system:masters/CN=keel-test-admin"), sign("admin", "client"),
        Openssl({"genrsa", "-out", dir + "/sa.key", "2048"}),
        Openssl({"rsa", "-in", dir + "/sa.key", "-pubout", "-out", dir + "/sa.pub"})}) {
    if (!s.ok()) return s;
  }
  absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd = EtcdCluster::Start(1);
  if (!etcd.ok()) return etcd.status();
  cluster->etcd_ = *std::move(etcd);
  const uint16_t port = PickFreePort();
  cluster->server_ = absl::StrCat("https://127.0.0.1:", port);
  cluster->apiserver_args_ = {
      "--etcd-servers=http://" + cluster->etcd_->endpoints()[0],
      "--bind-address=127.0.0.1",
      absl::StrCat("--secure-port=", port),
      "--advertise-address=127.0.0.1",
      // The "kubernetes" Service's endpoints would be a loopback address.
      "--endpoint-reconciler-type=none",
      "--tls-cert-file=" + dir + "/apiserver.crt",
      "--tls-private-key-file=" + dir + "/apiserver.key",
      "--client-ca-file=" + cluster->ca_file_,
      "--service-account-key-file=" + dir + "/sa.pub",
      "--service-account-signing-key-file=" + dir + "/sa.key",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      "--authorization-mode=RBAC",
      "--service-cluster-ip-range=10.96.0.0/16",
  };
  cluster->endpoint_slices_ = options.endpoint_slices;
  if (!options.endpoint_slices) cluster->apiserver_args_.push_back("--runtime-config=discovery.k8s.io/v1=false");
  cluster->admin_kubeconfig_ = dir + "/admin.kubeconfig";
  if (absl::Status s = WriteText(
          cluster->admin_kubeconfig_,
          Kubeconfig(cluster->server_, cluster->ca_file_,
                     absl::StrCat("    client-certificate: ", dir, "/admin.crt\n",
                                  "    client-key: ", dir, "/admin.key\n")));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = cluster->StartApiServer(); !s.ok()) return s;
  if (options.controller_manager) {
    absl::StatusOr<ChildProcess> manager = ChildProcess::Start(
        KubeBinary("kube-controller-manager"),
        {"--kubeconfig=" + cluster->admin_kubeconfig_, "--leader-elect=false",
         absl::StrCat("--controllers=",
                      options.endpoint_slices ? "endpointslice-controller" : "endpoints-controller",
                      ",serviceaccount-controller,"
         "serviceaccount-token-controller,namespace-controller,garbage-collector-controller,"
         "root-ca-certificate-publisher-controller"),
         "--service-account-private-key-file=" + dir + "/sa.key",
         "--root-ca-file=" + cluster->ca_file_, "--use-service-account-credentials=false",
         "--bind-address=127.0.0.1", absl::StrCat("--secure-port=", PickFreePort()),
         // Slices follow pods at once (the default batches for a second).
         "--endpointslice-updates-batch-period=0s"},
        dir + "/controller-manager.log");
    if (!manager.ok()) return manager.status();
    cluster->controller_manager_ = *std::move(manager);
    const bool made = Eventually(
            [&] {
              return !cluster->controller_manager_->Running() ||
                     cluster->Kubectl({"get", "serviceaccount", "default", "-n", "default"})
                             .exit.status == 0;
            },
            absl::Seconds(60), absl::Milliseconds(200));
    if (!made || !cluster->controller_manager_->Running()) {
      return absl::UnavailableError(
          absl::StrCat("kube-controller-manager made no default service account:\n",
                       cluster->controller_manager_->Log().substr(0, 4000)));
    }
  }
  return cluster;
}

KubeCluster::~KubeCluster() {
  if (controller_manager_.has_value()) controller_manager_->Terminate();
  StopApiServer();
}

absl::Status KubeCluster::StartApiServer() {
  absl::StatusOr<ChildProcess> apiserver =
      ChildProcess::Start(KubeBinary("kube-apiserver"), apiserver_args_, dir_ + "/apiserver.log");
  if (!apiserver.ok()) return apiserver.status();
  apiserver_ = *std::move(apiserver);
  return WaitReady();
}

void KubeCluster::StopApiServer() {
  if (apiserver_.has_value()) apiserver_->Terminate(absl::Seconds(20));
  apiserver_.reset();
}

std::string KubeCluster::ApiServerLog() const {
  absl::StatusOr<std::string> log = ReadWholeFile(dir_ + "/apiserver.log");
  return log.ok() ? *log : "";
}

absl::Status KubeCluster::WaitReady() {
  const bool ready = Eventually(
      [&] {
        if (!apiserver_->Running()) return true;
        // Without EndpointSlices the API server's own informer of them
        // never syncs; the rest of it serves (as a pre-1.21 server did).
        CommandResult result = Kubectl(
            {"get", "--raw", endpoint_slices_ ? "/readyz" : "/readyz?exclude=informer-sync"});
        return result.exit.status == 0 && absl::StrContains(result.out, "ok");
      },
      absl::Seconds(90), absl::Milliseconds(200));
  if (!ready || !apiserver_->Running()) {
    const std::string log = ApiServerLog();
    return absl::UnavailableError(absl::StrCat("kube-apiserver did not become ready:\n",
                                               log.substr(log.size() > 4000 ? log.size() - 4000 : 0)));
  }
  return absl::OkStatus();
}

CommandResult KubeCluster::Kubectl(const std::vector<std::string>& args,
                                   const std::string& stdin_text, absl::Duration timeout) {
  std::vector<std::string> full = {"--kubeconfig=" + admin_kubeconfig_};
  full.insert(full.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> run =
      RunToCompletion(KubeBinary("kubectl"), full, timeout, stdin_text);
  if (!run.ok()) return CommandResult{.exit = {}, .out = "", .err = std::string(run.status().message())};
  return *run;
}

absl::Status KubeCluster::Apply(const std::string& yaml) {
  CommandResult result = Kubectl({"apply", "-f", "-"}, yaml);
  if (!result.exit.exited || result.exit.status != 0) {
    return absl::InvalidArgumentError(absl::StrCat("kubectl apply: ", result.err, result.out));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> KubeCluster::JsonPath(const std::vector<std::string>& what,
                                                  const std::string& path) {
  std::vector<std::string> args = {"get"};
  args.insert(args.end(), what.begin(), what.end());
  args.push_back("-o=jsonpath=" + path);
  CommandResult result = Kubectl(args);
  if (!result.exit.exited || result.exit.status != 0) {
    return absl::NotFoundError(absl::StrCat("kubectl ", absl::StrJoin(args, " "), ": ", result.err));
  }
  return result.out;
}

absl::StatusOr<std::string> KubeCluster::ServiceAccountKubeconfig(const std::string& namespace_name,
                                                                  const std::string& name) {
  CommandResult token = Kubectl({"create", "token", name, "-n", namespace_name, "--duration=2h"});
  if (!token.exit.exited || token.exit.status != 0) {
    return absl::UnavailableError(absl::StrCat("kubectl create token: ", token.err));
  }
  const std::string token_file = absl::StrCat(dir_, "/", namespace_name, "-", name, ".token");
  if (absl::Status s = WriteText(token_file, std::string(absl::StripAsciiWhitespace(token.out)));
      !s.ok()) {
    return s;
  }
  const std::string path = absl::StrCat(dir_, "/", namespace_name, "-", name, ".kubeconfig");
  if (absl::Status s = WriteText(path, Kubeconfig(server_, ca_file_,
                                                  absl::StrCat("    tokenFile: ", token_file, "\n")));
      !s.ok()) {
    return s;
  }
  return path;
}

absl::StatusOr<std::pair<std::string, std::string>> KubeCluster::IssueServingCertificate(
    const std::string& stem, const std::vector<std::string>& names) {
  std::vector<std::string> sans;
  for (const std::string& name : names) {
    const bool is_ip = name.find_first_not_of("0123456789.") == std::string::npos ||
                       name.find(':') != std::string::npos;
    sans.push_back(absl::StrCat(is_ip ? "IP:" : "DNS:", name));
  }
  const std::string ext = absl::StrCat(dir_, "/", stem, ".cnf");
  if (absl::Status s = WriteText(ext, absl::StrCat("[req]\ndistinguished_name = dn\n[dn]\n[serving]\n"
                                                   "basicConstraints = CA:FALSE\n"
                                                   "extendedKeyUsage = serverAuth\n"
                                                   "subjectAltName = ",
                                                   absl::StrJoin(sans, ", "), "\n"));
      !s.ok()) {
    return s;
  }
  const std::string base = absl::StrCat(dir_, "/", stem);
  for (const absl::Status& s :
       {Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                 base + ".key", "-out", base + ".csr", "-subj", "/CN=" + names.front()}),
        Openssl({"x509", "-req", "-in", base + ".csr", "-CA", ca_file_, "-CAkey", dir_ + "/ca.key",
                 "-CAcreateserial", "-out", base + ".crt", "-days", "2", "-extfile", ext,
                 "-extensions", "serving"})}) {
    if (!s.ok()) return s;
  }
  return std::make_pair(base + ".crt", base + ".key");
}

absl::Status KubeCluster::MarkPodRunning(const std::string& namespace_name, const std::string& pod,
                                         const std::string& ip, bool ready) {
  const std::string status = ready ? "True" : "False";
  const std::string patch = absl::StrCat(
      R"({"status":{"phase":"Running","podIP":")", ip, R"(","podIPs":[{"ip":")", ip,
      R"("}],"conditions":[{"type":"Ready","status":")", status,
      R"("},{"type":"ContainersReady","status":")", status, R"("}]}})");
  CommandResult result = Kubectl({"patch", "pod", pod, "-n", namespace_name, "--subresource=status",
                                  "--type=merge", "-p", patch});
  if (!result.exit.exited || result.exit.status != 0) {
    return absl::UnavailableError(absl::StrCat("kubectl patch pod ", pod, " status: ", result.err));
  }
  return absl::OkStatus();
}

}  // namespace keel::testing
