#include "services/galley/injection.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::galley {
namespace {

using ::testing::HasSubstr;

std::string Write(const std::string& name, const std::string& text) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/injection";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/" + name) << text;
  return dir + "/" + name;
}

constexpr char kTemplate[] = R"(containers:
- name: keel-agent
  image: keel/agent:1
  args: [--node_id=x, "--token_file=/t/${SERVICE_ACCOUNT}"]
  ports: [{containerPort: 15020}]
volumes:
- name: keel-token
  secret: {secretName: "keel-token-${SERVICE_ACCOUNT}", defaultMode: 0400}
  readOnly: true
appEnv:
- {name: GRPC_XDS_BOOTSTRAP, value: /b/bootstrap.json}
- {name: PORT, value: "8080"}
appMounts:
- {name: keel-bootstrap, mountPath: /b}
)";

HttpRequest Review(const std::string& pod) {
  return HttpRequest{.method = "POST",
                     .path = "/inject",
                     .body = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",)"
                             R"("request":{"uid":"u-1","namespace":"ns1","object":)" +
                             pod + "}}"};
}

std::string Patch(const HttpResponse& response) {
  const std::string key = "\"patch\":\"";
  const size_t at = response.body.find(key);
  if (at == std::string::npos) return "";
  std::string decoded;
  absl::Base64Unescape(response.body.substr(at + key.size(), response.body.find('"', at + key.size()) - at - key.size()),
                       &decoded);
  return decoded;
}

TEST(InjectorTest, AddsTheAgentAndTheAppsBootstrapToAGrpcAgentPod) {
  absl::StatusOr<std::unique_ptr<Injector>> injector = Injector::Load(Write("t.yaml", kTemplate));
  ASSERT_TRUE(injector.ok()) << injector.status();
  HttpResponse response = (*injector)->HandleReview(Review(R"({
    "metadata": {"name": "p", "labels": {"version": "v1", "app": "ratings"},
                 "annotations": {"inject.istio.io/templates": "sidecar, grpc-agent"}},
    "spec": {"serviceAccountName": "sa1", "containers": [
      {"name": "app", "env": [{"name": "A", "value": "1"}]}, {"name": "second"}]}})"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_THAT(response.body, HasSubstr("\"uid\":\"u-1\""));
  EXPECT_THAT(response.body, HasSubstr("\"allowed\":true"));
  const std::string patch = Patch(response);
  // Appended to the container that has env; set on the one that has none.
  EXPECT_THAT(patch, HasSubstr(R"({"op":"add","path":"/spec/containers/0/env/-","value":{"name":"GRPC_XDS_BOOTSTRAP","value":"/b/bootstrap.json"}})"));
  EXPECT_THAT(patch, HasSubstr(R"({"op":"add","path":"/spec/containers/1/env","value":[{"name":"GRPC_XDS_BOOTSTRAP")"));
  // A quoted number stays a string; a plain one is a number; 0400 is octal.
  EXPECT_THAT(patch, HasSubstr(R"({"name":"PORT","value":"8080"})"));
  EXPECT_THAT(patch, HasSubstr(R"("containerPort":15020)"));
  EXPECT_THAT(patch, HasSubstr(R"("defaultMode":256)"));
  EXPECT_THAT(patch, HasSubstr(R"("readOnly":true)"));
  // The pod's account and labels (sorted) reach the agent.
  EXPECT_THAT(patch, HasSubstr(R"("secretName":"keel-token-sa1")"));
  EXPECT_THAT(patch, HasSubstr(R"("--token_file=/t/sa1","--labels=app=ratings,version=v1"])"));
  EXPECT_THAT(patch, HasSubstr(R"({"op":"add","path":"/spec/volumes","value":[)"));
  // The agent goes first, after the application containers' own edits.
  EXPECT_THAT(patch, HasSubstr(R"({"op":"add","path":"/spec/containers/0","value":{"name":"keel-agent")"));
  EXPECT_LT(patch.find("/spec/containers/1/env"), patch.find(R"("path":"/spec/containers/0","value")"));
  EXPECT_THAT(patch, HasSubstr(R"("path":"/metadata/annotations/keel.io~1injected","value":"grpc-agent")"));
}

TEST(InjectorTest, PodsThatDoNotAskOrHaveTheAgentAreLeftAlone) {
  absl::StatusOr<std::unique_ptr<Injector>> injector = Injector::Load(Write("t.yaml", kTemplate));
  ASSERT_TRUE(injector.ok());
  for (const char* pod : {
           R"({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "app"}]}})",
           R"({"metadata": {"annotations": {"inject.istio.io/templates": "sidecar"}},
               "spec": {"containers": [{"name": "app"}]}})",
           R"({"metadata": {"annotations": {"inject.istio.io/templates": "grpc-agent"}},
               "spec": {"containers": [{"name": "app"}, {"name": "keel-agent"}]}})"}) {
    HttpResponse response = (*injector)->HandleReview(Review(pod));
    EXPECT_EQ(response.status, 200) << pod;
    EXPECT_THAT(response.body, HasSubstr("\"allowed\":true"));
    EXPECT_EQ(Patch(response), "") << pod;
  }
}

TEST(InjectorTest, MalformedReviewsAndTemplatesAreRefusedWithTheReason) {
  absl::StatusOr<std::unique_ptr<Injector>> injector = Injector::Load(Write("t.yaml", kTemplate));
  ASSERT_TRUE(injector.ok());
  struct Case {
    std::string body;
    const char* reason;
  } cases[] = {
      {"{", "bad AdmissionReview"},
      {"*a", "anchors"},
      {R"({"request": {"object": {}}})", "request.uid"},
      {R"({"request": {"uid": "u", "object": {"spec": {}}}})", "spec.containers"},
      {std::string(100, '[') + std::string(100, ']'), "nested"},
  };
  for (const Case& c : cases) {
    HttpResponse response = (*injector)->HandleReview(HttpRequest{.method = "POST", .body = c.body});
    EXPECT_EQ(response.status, 400) << c.body;
    EXPECT_THAT(response.body, HasSubstr(c.reason)) << c.body;
  }
  EXPECT_EQ((*injector)->HandleReview(HttpRequest{.method = "GET"}).status, 405);

  struct TemplateCase {
    const char* text;
    const char* reason;
  } templates[] = {
      {"containers: [", "t2.yaml:"},
      {"[1]", "not a map"},
      {"containers: []\nvolumes: []\nappEnv: []\n", "appMounts: want a list"},
      {"containers: [{name: x}]\nvolumes: []\nappEnv: []\nappMounts: []\n", "no container named keel-agent"},
  };
  for (const TemplateCase& t : templates) {
    absl::StatusOr<std::unique_ptr<Injector>> bad = Injector::Load(Write("t2.yaml", t.text));
    ASSERT_FALSE(bad.ok()) << t.text;
    EXPECT_THAT(bad.status().message(), HasSubstr(t.reason)) << t.text;
  }
  EXPECT_THAT(Injector::Load("/nonexistent/t.yaml").status().message(), HasSubstr("/nonexistent/t.yaml"));
}

}  // namespace
}  // namespace keel::galley
