// keelctl validate -f FILE|DIR ...: check Istio configuration the way Galley
// would, without a cluster. keelctl analyze -f DIR ...: also check the
// resources against each other (istioctl analyze's messages and codes).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "libs/mesh/admission.h"
#include "libs/mesh/analysis.h"
#include "libs/mesh/mesh_config.h"
#include "libs/mesh/resource.h"
#include "services/keelctl/commands/command.h"
#include "services/keelctl/commands/input_files.h"

namespace keel::keelctl {
namespace {

struct Loaded {
  std::vector<mesh::CheckedFile> files;
  std::vector<mesh::Diagnostic> diagnostics;  // what admission found, every file's
  size_t resources = 0;
  bool ok = true;  // every path could be read
};

// Load reads the files through Galley's admission path: parsed, each
// resource validated, and (with `across`) Mixer's config type-checked
// against the manifests among them. Resources that fail validation stay for
// analysis, as in Istio: each analyzer looks at what it needs (a
// VirtualService with no hosts still names destinations that must exist).
Loaded Load(const std::vector<std::string>& paths, CommandIo& io, bool across) {
  Loaded loaded;
  std::vector<mesh::ConfigText> texts;
  for (const std::string& file : ConfigFilesIn(paths, io, loaded.ok)) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    texts.push_back({file, text.str()});
  }
  if (across) {
    loaded.files = mesh::AdmitFiles(texts);
  } else {
    for (const mesh::ConfigText& text : texts) loaded.files.push_back(mesh::CheckFile(text));
  }
  for (const mesh::CheckedFile& file : loaded.files) {
    loaded.diagnostics.insert(loaded.diagnostics.end(), file.diagnostics.begin(),
                              file.diagnostics.end());
    loaded.resources += file.resources.size();
  }
  return loaded;
}

struct Counts {
  int errors = 0;
  int warnings = 0;
};

Counts Print(const std::vector<mesh::Diagnostic>& diagnostics, CommandIo& io) {
  Counts counts;
  for (const mesh::Diagnostic& d : diagnostics) {
    std::fprintf(d.level == mesh::Level::kInfo ? io.out : io.err, "%s\n", d.ToString().c_str());
    counts.errors += d.level == mesh::Level::kError;
    counts.warnings += d.level == mesh::Level::kWarning;
  }
  return counts;
}

int RunValidate(const std::vector<std::string>& args, CommandIo& io) {
  std::vector<std::string> paths;
  if (!ParseFileArgs("validate", args, paths, io)) return 2;
  // Mixer's expressions are checked against the manifests beside them, as
  // Galley checks them.
  Loaded loaded = Load(paths, io, /*across=*/true);
  const Counts counts = Print(loaded.diagnostics, io);
  std::fprintf(io.out, "%zu resources checked, %d errors, %d warnings\n", loaded.resources,
               counts.errors, counts.warnings);
  return counts.errors > 0 || !loaded.ok ? 1 : 0;
}

int RunAnalyze(const std::vector<std::string>& raw_args, CommandIo& io) {
  // --mesh_config=FILE: the mesh's exportTo defaults apply to the analysis.
  std::vector<std::string> args;
  mesh::AnalysisOptions options;
  for (const std::string& arg : raw_args) {
    if (!absl::StartsWith(arg, "--mesh_config=")) {
      args.push_back(arg);
      continue;
    }
    absl::StatusOr<mesh::MeshConfig> config = mesh::LoadMeshConfigFile(arg.substr(14));
    if (!config.ok()) {
      std::fprintf(io.err, "%s\n", std::string(config.status().message()).c_str());
      return 1;
    }
    options.default_service_export_to.assign(config->default_service_export_to().begin(),
                                             config->default_service_export_to().end());
    options.default_virtual_service_export_to.assign(
        config->default_virtual_service_export_to().begin(),
        config->default_virtual_service_export_to().end());
  }
  std::vector<std::string> paths;
  if (!ParseFileArgs("analyze", args, paths, io)) return 2;
  // Analysis checks across resources itself (Mixer's type-check included).
  Loaded loaded = Load(paths, io, /*across=*/false);
  std::vector<mesh::Diagnostic> all;
  // Invalid resources are reported as Istio does: IST0106 SchemaValidationError.
  for (mesh::Diagnostic d : loaded.diagnostics) {
    if (d.level == mesh::Level::kError) d.code = "IST0106";
    all.push_back(std::move(d));
  }
  std::vector<const mesh::Resource*> resources;
  std::vector<const mesh::KubeObject*> kube_objects;
  for (const mesh::CheckedFile& file : loaded.files) {
    for (const mesh::Resource& r : file.resources) resources.push_back(&r);
    for (const mesh::KubeObject& object : file.kube_objects) kube_objects.push_back(&object);
  }
  for (mesh::Diagnostic& d : mesh::Analyze(resources, kube_objects, options)) {
    all.push_back(std::move(d));
  }
  const Counts counts = Print(all, io);
  if (counts.errors == 0 && counts.warnings == 0) {
    std::fprintf(io.out, "\u2714 No validation issues found when analyzing %zu resources.\n",
                 loaded.resources);
  } else {
    std::fprintf(io.out, "%zu resources analyzed: %d errors, %d warnings\n", loaded.resources,
                 counts.errors, counts.warnings);
  }
  return counts.errors > 0 || !loaded.ok ? 1 : 0;
}

}  // namespace

KEELCTL_REGISTER_COMMAND(validate,
                         Command{
                             .name = "validate",
                             .usage = "keelctl validate -f FILE|DIR ...",
                             .summary = "Validate Istio configuration files; exit 1 on any error.",
                             .run = RunValidate,
                         });

KEELCTL_REGISTER_COMMAND(
    analyze, Command{
                 .name = "analyze",
                 .usage = "keelctl analyze [--mesh_config=FILE] -f FILE|DIR ...",
                 .summary = "Validate and cross-check configuration (IST message codes); "
                            "exit 1 on any error.",
                 .run = RunAnalyze,
             });

}  // namespace keel::keelctl
