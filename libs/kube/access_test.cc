#include "libs/kube/access.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::kube {
namespace {

using ::testing::HasSubstr;

class AccessTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_ = [] {
    std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/access";
    std::filesystem::create_directories(dir);
    return dir;
  }();
};

TEST_F(AccessTest, KubeconfigWithFilesRelativeToIt) {
  Write("ca.crt", "CA PEM");
  Write("me.crt", "CERT PEM");
  Write("me.key", "KEY PEM");
  const std::string path = Write("config", R"(apiVersion: v1
kind: Config
clusters:
- name: other
  cluster: {server: "https://10.0.0.1"}
- name: test
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: ca.crt
users:
- name: me
  user: {client-certificate: me.crt, client-key: me.key}
contexts:
- name: test
  context: {cluster: test, user: me}
current-context: test
)");
  absl::StatusOr<ClusterAccess> access = LoadKubeconfig(path);
  ASSERT_TRUE(access.ok()) << access.status();
  EXPECT_EQ(access->host, "127.0.0.1");
  EXPECT_EQ(access->port, 6443);
  EXPECT_TRUE(access->tls);
  EXPECT_EQ(access->ca_pem, "CA PEM");
  EXPECT_EQ(access->client_cert_pem, "CERT PEM");
  EXPECT_EQ(access->client_key_pem, "KEY PEM");
  EXPECT_THAT(access->origin, HasSubstr("context test"));
}

TEST_F(AccessTest, InlineDataAndARotatingTokenFile) {
  const std::string token = Write("token", "first\n");
  const std::string path = Write("config", R"(clusters:
- name: c
  cluster:
    server: https://kube.example:8443
    certificate-authority-data: )" + absl::Base64Escape("INLINE CA") + R"(
users:
- name: u
  user: {tokenFile: token}
contexts:
- {name: a, context: {cluster: c, user: u}}
- {name: b, context: {cluster: c}}
current-context: b
)");
  absl::StatusOr<ClusterAccess> access = LoadKubeconfig(path, "a");
  ASSERT_TRUE(access.ok()) << access.status();
  EXPECT_EQ(access->host, "kube.example");
  EXPECT_EQ(access->port, 8443);
  EXPECT_EQ(access->ca_pem, "INLINE CA");
  EXPECT_EQ(*access->BearerToken(), "first");
  // A projected token is replaced in place: the next request sends the new one.
  Write("token", "second");
  EXPECT_EQ(*access->BearerToken(), "second");
}

TEST_F(AccessTest, MistakesNameTheFileAndTheField) {
  struct Case {
    const char* text;
    const char* context;
    const char* expected;
  } cases[] = {
      {"clusters: [", "", "not YAML"},
      {"current-context: x\n", "", "no context \"x\""},
      {"contexts: [{name: x, context: {cluster: nope}}]\ncurrent-context: x\n", "",
       "no cluster \"nope\""},
      {"clusters: [{name: c, cluster: {server: 'ftp://h'}}]\n"
       "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n",
       "", "clusters[c].cluster.server"},
      {"clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
       "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n",
       "", "no certificate-authority"},
      {"clusters: [{name: c, cluster: {server: 'https://h', certificate-authority-data: '%%'}}]\n"
       "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n",
       "", "certificate-authority-data: not base64"},
      {"clusters: [{name: c, cluster: {server: 'https://h', certificate-authority: missing.crt}}]\n"
       "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n",
       "", "certificate-authority: "},
      {"clusters: [{name: c, cluster: {server: 'https://h', certificate-authority-data: QQ==}}]\n"
       "users: [{name: u, user: {exec: {command: aws}}}]\n"
       "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
       "", "exec and auth-provider plugins are not supported"},
      {"clusters: [{name: c, cluster: {server: 'https://h', certificate-authority-data: QQ==}}]\n"
       "users: [{name: u, user: {client-certificate-data: QQ==}}]\n"
       "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
       "", "go together"},
  };
  for (const Case& c : cases) {
    const std::string path = Write("bad", c.text);
    absl::StatusOr<ClusterAccess> access = LoadKubeconfig(path, c.context);
    ASSERT_FALSE(access.ok()) << c.text;
    EXPECT_THAT(access.status().message(), HasSubstr(c.expected)) << c.text;
    EXPECT_THAT(access.status().message(), HasSubstr(path)) << c.text;
  }
  EXPECT_THAT(LoadKubeconfig(dir_ + "/absent").status().message(), HasSubstr("absent"));
}

TEST_F(AccessTest, InClusterReadsTheMountedServiceAccount) {
  InClusterFiles files{.token = Write("sa-token", "tok\n"), .ca = Write("sa-ca", "POD CA")};
  unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_EQ(InClusterAccess(files).status().code(), absl::StatusCode::kFailedPrecondition);
  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  absl::StatusOr<ClusterAccess> access = InClusterAccess(files);
  ASSERT_TRUE(access.ok()) << access.status();
  EXPECT_EQ(access->server, "https://10.96.0.1:443");
  EXPECT_EQ(access->ca_pem, "POD CA");
  EXPECT_EQ(*access->BearerToken(), "tok");
  setenv("KUBERNETES_SERVICE_PORT", "https", 1);
  EXPECT_THAT(InClusterAccess(files).status().message(), HasSubstr("not a port"));
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
}

}  // namespace
}  // namespace keel::kube
