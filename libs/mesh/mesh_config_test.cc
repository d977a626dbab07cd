#include "libs/mesh/mesh_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::mesh {
namespace {

using ::testing::HasSubstr;

TEST(MeshConfigTest, EmptyFileGivesIstiosDefaults) {
  absl::StatusOr<MeshConfig> config = ParseMeshConfig("mesh.yaml", "");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->root_namespace(), "istio-system");
  EXPECT_THAT(config->default_virtual_service_export_to(), ::testing::ElementsAre("*"));
  EXPECT_EQ(config->connect_timeout().seconds(), 10);
  EXPECT_EQ(config->outbound_traffic_policy().mode(), MeshConfig::OutboundTrafficPolicy::ALLOW_ANY);
  EXPECT_EQ(config->trust_domain(), "cluster.local");
  EXPECT_TRUE(config->enable_tracing());
}

TEST(MeshConfigTest, GivenFieldsReplaceDefaultsEvenWithZeroValues) {
  absl::StatusOr<MeshConfig> config = ParseMeshConfig("mesh.yaml", R"(rootNamespace: keel-system
enableTracing: false
connectTimeout: 2s
defaultDestinationRuleExportTo: ["."]
outboundTrafficPolicy: {mode: REGISTRY_ONLY}
defaultConfig:
  discoveryAddress: keel-pilot.keel-system.svc:15010
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->root_namespace(), "keel-system");
  EXPECT_FALSE(config->enable_tracing());
  EXPECT_EQ(config->connect_timeout().seconds(), 2);
  EXPECT_THAT(config->default_destination_rule_export_to(), ::testing::ElementsAre("."));
  EXPECT_THAT(config->default_service_export_to(), ::testing::ElementsAre("*"));  // default kept
  EXPECT_EQ(config->outbound_traffic_policy().mode(),
            MeshConfig::OutboundTrafficPolicy::REGISTRY_ONLY);
  EXPECT_EQ(config->default_config().discovery_address(), "keel-pilot.keel-system.svc:15010");
  EXPECT_EQ(config->trust_domain(), "cluster.local");
}

TEST(MeshConfigTest, BadFieldsAreErrorsNamingFileLineAndField) {
  struct Case {
    std::string yaml;
    std::string message;
  };
  for (const Case& bad : std::vector<Case>{
           {"rootNamespace: ok\nnoSuchField: 1\n", "mesh.yaml:2:1: MeshConfig: noSuchField"},
           {"enableTracing: maybe\n", "mesh.yaml:1:1: MeshConfig: enableTracing"},
           {"connectTimeout: soon\n", "mesh.yaml:1:1: MeshConfig: connectTimeout"},
           {"connectTimeout: 0s\n", "connectTimeout: duration must be greater than 1ms"},
           {"rootNamespace: Bad_NS\n", "rootNamespace:"},
           {"defaultServiceExportTo: [\"*\", \".\"]\n", "defaultServiceExportTo:"},
           {"rootNamespace: [\n", "malformed YAML"},
       }) {
    SCOPED_TRACE(bad.yaml);
    absl::StatusOr<MeshConfig> config = ParseMeshConfig("mesh.yaml", bad.yaml);
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(config.status().message(), HasSubstr(bad.message));
  }
}

}  // namespace
}  // namespace keel::mesh
