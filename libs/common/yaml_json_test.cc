#include "libs/common/yaml_json.h"

#include "gtest/gtest.h"

namespace keel {
namespace {

TEST(YamlJsonTest, ScalarsReadAsKubernetesReadsThem) {
  const YAML::Node node = YAML::Load(R"(
mode: 0400
mode2: 0o644
port: 15020
quoted: "15020"
single: '0400'
on: true
off: "false"
none: null
name: keel-agent
list: [1, "2", x]
)");
  EXPECT_EQ(YamlToJson(node),
            R"({"mode":256,"mode2":420,"port":15020,"quoted":"15020","single":"0400","on":true,)"
            R"("off":"false","none":null,"name":"keel-agent","list":[1,"2","x"]})");
}

TEST(YamlJsonTest, TheRewriteAppliesToStringsOnly) {
  JsonWriter json;
  WriteYamlAsJson(YAML::Load(R"({account: "${SA}", "${SA}": 1, n: 7})"), json,
                  [](const std::string& text) { return text == "${SA}" ? std::string("reviews") : text; });
  EXPECT_EQ(json.Take(), R"({"account":"reviews","${SA}":1,"n":7})");
}

}  // namespace
}  // namespace keel
