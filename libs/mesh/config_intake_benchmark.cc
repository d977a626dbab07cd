// What the one-process hand-off saves: Pilot's intake of a config update
// decoded from MCP envelopes (split mode) against the same update with
// Galley's resources attached (keel, one process). Prints one line per
// mode and their ratio; run with bazel run -c opt.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/mesh/config_intake.h"
#include "libs/mesh/mcp.h"

namespace keel::mesh {
namespace {

constexpr int kResources = 2000;
constexpr int kRounds = 20;

// kResources VirtualServices, as one MCP update; with `attach`, each
// carries the resource it was encoded from, as Galley attaches it.
xds::ResourceUpdate Update(bool attach) {
  xds::ResourceUpdate update{.type_url = kinds::VirtualService.info().type_url(),
                             .version = "1",
                             .full_state = true};
  std::string yaml;
  for (int i = 0; i < kResources; ++i) {
    absl::StrAppend(&yaml, "---\napiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\n",
                    "metadata: {name: vs-", i, ", namespace: team-", i % 20, "}\nspec:\n",
                    "  hosts: [svc-", i, "]\n  http:\n  - match: [{headers: {x-user: {exact: u",
                    i, "}}}]\n    route: [{destination: {host: svc-", i,
                    ", subset: v2}}]\n  - route:\n    - {destination: {host: svc-", i,
                    ", subset: v1}, weight: 90}\n    - {destination: {host: svc-", i,
                    ", subset: v2}, weight: 10}\n    retries: {attempts: 3, perTryTimeout: 2s}\n");
  }
  ParsedFile parsed = ParseConfigFile("bench.yaml", yaml);
  for (Resource& parsed_resource : parsed.resources) {
    auto resource = std::make_shared<const Resource>(std::move(parsed_resource));
    auto wire = std::make_shared<xds::XdsResource>();
    wire->name = McpName(*resource);
    wire->version = McpVersion(*resource);
    wire->body = EncodeMcp(*resource);
    if (attach) wire->local = std::make_shared<const LocalResource>(resource);
    update.updated[wire->name] = std::move(wire);
  }
  return update;
}

// Mean time of one intake of `update` into a fresh Pilot intake.
absl::Duration MeanIntake(const xds::ResourceUpdate& update) {
  absl::Duration total;
  for (int round = 0; round < kRounds; ++round) {
    ConfigIntake intake(kPilot);
    const absl::Time start = absl::Now();
    absl::StatusOr<bool> applied = intake.Apply(update);
    total += absl::Now() - start;
    if (!applied.ok()) {
      std::fprintf(stderr, "intake refused the update: %s\n",
                   std::string(applied.status().message()).c_str());
      std::exit(1);
    }
  }
  return total / kRounds;
}

}  // namespace
}  // namespace keel::mesh

int main() {
  using keel::mesh::MeanIntake;
  using keel::mesh::Update;
  const keel::xds::ResourceUpdate decoded = Update(/*attach=*/false);
  const keel::xds::ResourceUpdate attached = Update(/*attach=*/true);
  // One round each first, so neither pays for warming up.
  (void)MeanIntake(decoded);
  (void)MeanIntake(attached);
  const absl::Duration over_mcp = MeanIntake(decoded);
  const absl::Duration in_process = MeanIntake(attached);
  std::printf("config intake of %d VirtualServices, mean of %d rounds\n", keel::mesh::kResources,
              keel::mesh::kRounds);
  std::printf("  decoded from MCP envelopes (split mode): %8.2f ms\n",
              absl::ToDoubleMilliseconds(over_mcp));
  std::printf("  attached by Galley (one process, keel):  %8.2f ms\n",
              absl::ToDoubleMilliseconds(in_process));
  std::printf("  ratio (decoded / attached):              %8.1fx\n",
              absl::FDivDuration(over_mcp, in_process));
  return 0;
}
