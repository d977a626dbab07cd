#include "services/galley/webhook.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::galley {
namespace {

using ::testing::HasSubstr;

HttpResponse Post(const std::string& body) {
  return HandleAdmissionReview(HttpRequest{.method = "POST", .path = "/validate", .body = body});
}

std::string Review(const std::string& object, const std::string& operation = "CREATE") {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","operation":")" +
         operation + R"(","object":)" + object + "}}";
}

TEST(WebhookTest, AllowsValidResource) {
  HttpResponse response = Post(Review(
      R"({"apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":{"name":"r","namespace":"prod"},"spec":{"host":"reviews"}})"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(
      response.body,
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":true}})");
}

TEST(WebhookTest, DeniesInvalidResourceWithTheValidationMessage) {
  HttpResponse response = Post(Review(
      R"({"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"r"},"spec":{"hosts":["r"],"http":[{"route":[{"destination":{"host":"r"},"weight":"eighty"}]}]}})"));
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.body, HasSubstr(R"("allowed":false)"));
  EXPECT_THAT(
      response.body,
      HasSubstr(
          R"(VirtualService default/r: spec.http[0].route[0].weight: expected integer, got \"eighty\")"));
}

TEST(WebhookTest, AllowsDeletesAndForeignKinds) {
  EXPECT_THAT(Post(Review("null", "DELETE")).body, HasSubstr(R"("allowed":true)"));
  EXPECT_THAT(
      Post(Review(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})")).body,
      HasSubstr(R"("allowed":true)"));
}

TEST(WebhookTest, BadRequestsGet400WithAReason) {
  struct Case {
    std::string body;
    std::string reason;
  };
  for (const Case& c : std::vector<Case>{
           {"{not json", "malformed JSON"},
           {"[1,2]", "expected a JSON object"},
           {R"({"apiVersion":"admission.k8s.io/v1","kind":"Pod"})", "kind must be AdmissionReview"},
           {R"({"apiVersion":"admission.k8s.io/v9","kind":"AdmissionReview"})",
            "unsupported apiVersion"},
           {R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}})",
            "missing request.uid"},
           {std::string(1000, '[') + std::string(1000, ']'), "nested more than 64 levels deep"},
       }) {
    HttpResponse response = Post(c.body);
    EXPECT_EQ(response.status, 400) << c.body.substr(0, 40);
    EXPECT_THAT(response.body, HasSubstr(c.reason));
  }
  EXPECT_EQ(HandleAdmissionReview(HttpRequest{.method = "GET"}).status, 405);
}

TEST(WebhookTest, YamlAliasesAreRefusedBeforeAnyExpansion) {
  // The alias bomb in flow style: valid YAML, not JSON.
  std::string bomb = R"({"apiVersion":"networking.istio.io/v1","kind":"VirtualService",)"
                     R"("metadata":{"name":"bomb"},"spec":{"a":&a ["lol","lol","lol","lol","lol"])";
  for (char level = 'b'; level <= 'i'; ++level) {
    bomb += absl::StrCat(",\"", std::string(1, level), "\":&", std::string(1, level), " [");
    for (int i = 0; i < 9; ++i) bomb += absl::StrCat(i ? "," : "", "*", std::string(1, level - 1));
    bomb += "]";
  }
  bomb += "}}";
  HttpResponse response = Post(Review(bomb));
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(response.body, HasSubstr("YAML anchors and aliases are not JSON"));
}

TEST(WebhookTest, RegexBudgetBoundsTheWorkOfOneRequest) {
  // 2,000 distinct 100-byte regexes: ~200 KiB of regex, past the budget.
  std::string matches;
  for (int i = 0; i < 2000; ++i) {
    matches += absl::StrCat(i ? "," : "", R"({"uri":{"regex":"/api/)", i, "/", std::string(90, 'a'),
                            R"((b|c)+"}})");
  }
  HttpResponse response = Post(Review(
      R"({"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"r"},"spec":{"hosts":["r"],"http":[{"match":[)" +
      matches + R"(],"route":[{"destination":{"host":"r"}}]}]}})"));
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.body, HasSubstr(R"("allowed":false)"));
  EXPECT_THAT(response.body, HasSubstr("too many regexes: this resource's regexes total more than "
                                       "65536 bytes"));
}

}  // namespace
}  // namespace keel::galley
