#include "libs/mesh/admission.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::mesh {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kManifest[] = R"(apiVersion: config.istio.io/v1alpha2
kind: attributemanifest
metadata: {name: istioproxy, namespace: istio-system}
spec:
  attributes:
    request.headers: {valueType: STRING_MAP}
)";

std::string Rule(const std::string& match) {
  return "apiVersion: config.istio.io/v1alpha2\nkind: rule\nmetadata: {name: deny-mallory, "
         "namespace: istio-system}\nspec:\n  match: " +
         match + "\n";
}

std::vector<std::string> Errors(const CheckedFile& file) {
  std::vector<std::string> errors;
  for (const Diagnostic& d : file.diagnostics) {
    if (d.level == Level::kError) errors.push_back(d.ToString());
  }
  return errors;
}

// A file's resources are parsed and validated each on its own: the bad one
// is named with its file, line and field; the good one stays valid.
TEST(AdmissionTest, EachResourceIsValidatedAndTheFaultNamed) {
  CheckedFile file = CheckFile(
      {"reviews.yaml",
       "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\n"
       "metadata: {name: good}\nspec: {hosts: [reviews], http: [{route: [{destination: "
       "{host: reviews}}]}]}\n---\n"
       "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\n"
       "metadata: {name: bad}\nspec: {hosts: [], http: [{route: [{destination: "
       "{host: reviews}}]}]}\n"});
  ASSERT_EQ(file.resources.size(), 2u);
  EXPECT_THAT(file.valid, ElementsAre(true, false)) << ::testing::PrintToString(Errors(file));
  ASSERT_EQ(Errors(file).size(), 1u);
  EXPECT_THAT(Errors(file)[0], HasSubstr("reviews.yaml:"));
  EXPECT_THAT(Errors(file)[0], HasSubstr("bad"));
}

// Mixer's rules are type-checked against the manifests in force, and a
// manifest in the same request counts; what is in force takes no blame.
TEST(AdmissionTest, MixerRulesAreTypeCheckedAgainstTheManifestsInForce) {
  CheckedFile manifest = CheckFile({"manifest.yaml", kManifest});
  ASSERT_THAT(Errors(manifest), IsEmpty());
  std::vector<const Resource*> in_force = {&manifest.resources[0]};

  std::vector<CheckedFile> good =
      AdmitFiles({{"rule.yaml", Rule("request.headers[\"x-user\"] == \"mallory\"")}}, in_force);
  EXPECT_FALSE(AnyErrors(good));

  std::vector<CheckedFile> bad =
      AdmitFiles({{"rule.yaml", Rule("request.header[\"x-user\"] == \"mallory\"")}}, in_force);
  ASSERT_TRUE(AnyErrors(bad));
  EXPECT_THAT(bad[0].valid, ElementsAre(false));
  EXPECT_THAT(Errors(bad[0])[0], HasSubstr("rule.yaml:"));
  EXPECT_THAT(Errors(bad[0])[0], HasSubstr("request.header"));

  // With the manifest in the same request instead.
  EXPECT_TRUE(AnyErrors(
      AdmitFiles({{"manifest.yaml", kManifest},
                  {"rule.yaml", Rule("request.header[\"a\"] == \"b\"")}})));
  EXPECT_FALSE(AnyErrors(AdmitFiles(
      {{"manifest.yaml", kManifest}, {"rule.yaml", Rule("request.headers[\"a\"] == \"b\"")}})));
}

}  // namespace
}  // namespace keel::mesh
