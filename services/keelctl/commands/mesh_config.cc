// keelctl mesh-config: the effective mesh config, Istio's defaults applied:
// from a file (checked as Pilot checks it) or from a running Pilot.
#include "libs/mesh/mesh_config.h"

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/http_client.h"
#include "services/keelctl/commands/command.h"

namespace keel::keelctl {
namespace {

int RunMeshConfig(const std::vector<std::string>& args, CommandIo& io) {
  std::string file, pilot;
  for (const std::string& arg : args) {
    if (absl::StartsWith(arg, "--mesh_config=")) {
      file = arg.substr(arg.find('=') + 1);
    } else if (absl::StartsWith(arg, "--pilot=")) {
      pilot = arg.substr(arg.find('=') + 1);
    } else {
      std::fprintf(io.err,
                   "keelctl mesh-config: unexpected argument \"%s\" (usage: keelctl mesh-config "
                   "[--mesh_config=FILE | --pilot=HOST:PORT])\n",
                   arg.c_str());
      return 2;
    }
  }
  if (!pilot.empty()) {
    absl::StatusOr<HttpResponse> response = HttpGet(pilot, "/debug/meshz", absl::Seconds(5));
    if (!response.ok() || response->status != 200) {
      std::fprintf(io.err, "keelctl mesh-config: %s\n",
                   response.ok() ? absl::StrCat("Pilot answered ", response->status).c_str()
                                 : std::string(response.status().message()).c_str());
      return 1;
    }
    std::fputs(response->body.c_str(), io.out);
    return 0;
  }
  absl::StatusOr<mesh::MeshConfig> config = mesh::LoadMeshConfigFile(file);
  if (!config.ok()) {
    std::fprintf(io.err, "%s\n", std::string(config.status().message()).c_str());
    return 1;
  }
  std::fprintf(io.out, "%s\n", mesh::MeshConfigJson(*config).c_str());
  return 0;
}

}  // namespace

KEELCTL_REGISTER_COMMAND(
    mesh_config, Command{
                     .name = "mesh-config",
                     .usage = "keelctl mesh-config [--mesh_config=FILE | --pilot=HOST:PORT]",
                     .summary = "The effective mesh config (Istio's defaults applied), "
                                "from a file or from Pilot's monitoring address.",
                     .run = RunMeshConfig,
                 });

}  // namespace keel::keelctl
