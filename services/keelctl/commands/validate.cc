// keelctl validate -f FILE|DIR ...: check Istio configuration the way Galley
// would, without a cluster. keelctl analyze -f DIR ...: also check the
// resources against each other (istioctl analyze's messages and codes).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/kube/access.h"
#include "libs/kube/api_client.h"
#include "libs/kube/list.h"
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

// LoadCluster reads the live config of the cluster `kubeconfig` names:
// every Istio kind and the Services, Namespaces and Pods analysis reads,
// each object through the same admission path as a file (named after the
// object). False (after saying why) when the cluster cannot be read.
bool LoadCluster(const std::string& kubeconfig, const std::string& context, Loaded& loaded,
                 CommandIo& io) {
  absl::StatusOr<kube::ClusterAccess> access = kube::ResolveAccess(kubeconfig, context);
  absl::StatusOr<std::unique_ptr<kube::ApiClient>> client =
      access.ok() ? kube::ApiClient::Create(*access) : access.status();
  if (!client.ok()) {
    std::fprintf(io.err, "keelctl analyze: %s\n", std::string(client.status().message()).c_str());
    return false;
  }
  struct Listed {
    std::string path, name, api_version, kind;
  };
  std::vector<Listed> lists;
  for (const mesh::KindInfo& kind : mesh::AllKinds()) {
    lists.push_back({kind.api_path(),
                     absl::StrCat(kind.plural(), ".", kind.group), kind.api_version(), kind.kind});
  }
  for (const char* core : {"Service", "Namespace", "Pod"}) {
    const std::string plural = absl::StrCat(absl::AsciiStrToLower(core), "s");
    lists.push_back({"/api/v1/" + plural, plural, "v1", core});
  }
  std::vector<mesh::ConfigText> texts;
  for (const Listed& list : lists) {
    absl::StatusOr<kube::ListedObjects> objects = kube::ListAll(**client, list.path);
    if (objects.status().code() == absl::StatusCode::kNotFound) continue;  // no such CRD here
    if (!objects.ok()) {
      std::fprintf(io.err, "keelctl analyze: %s\n", std::string(objects.status().message()).c_str());
      return false;
    }
    for (const std::string& item : objects->items) {
      const std::string text = kube::WithTypeMeta(item, list.api_version, list.kind);
      texts.push_back({absl::StrCat(list.name, " (", (*access).server, ")"), text});
    }
  }
  for (const mesh::ConfigText& text : texts) loaded.files.push_back(mesh::CheckFile(text));
  for (mesh::CheckedFile& file : loaded.files) {
    for (mesh::Diagnostic& d : file.diagnostics) {
      d.position.line = 0;  // an object of the API, not a line of a file
      d.position.column = 0;
      loaded.diagnostics.push_back(d);
    }
    loaded.resources += file.resources.size();
  }
  return true;
}

int RunAnalyze(const std::vector<std::string>& raw_args, CommandIo& io) {
  // --mesh_config=FILE: the mesh's exportTo defaults apply to the analysis.
  // --kubeconfig=FILE [--context=NAME]: analyze the live cluster's config.
  std::vector<std::string> args;
  mesh::AnalysisOptions options;
  std::string kubeconfig, context;
  bool from_cluster = false;
  for (const std::string& arg : raw_args) {
    if (absl::StartsWith(arg, "--kubeconfig=") || arg == "--kubeconfig") {
      from_cluster = true;
      kubeconfig = arg.size() > 13 ? arg.substr(13) : "";
      continue;
    }
    if (absl::StartsWith(arg, "--context=")) {
      context = arg.substr(10);
      continue;
    }
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
  Loaded loaded;
  if (from_cluster) {
    if (!args.empty()) {
      std::fprintf(io.err, "keelctl analyze: --kubeconfig reads the cluster; give no files\n");
      return 2;
    }
    if (!LoadCluster(kubeconfig, context, loaded, io)) return 1;
  } else {
    std::vector<std::string> paths;
    if (!ParseFileArgs("analyze", args, paths, io)) return 2;
    // Analysis checks across resources itself (Mixer's type-check included).
    loaded = Load(paths, io, /*across=*/false);
  }
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
                 .usage = "keelctl analyze [--mesh_config=FILE] -f FILE|DIR ... | "
                          "keelctl analyze [--mesh_config=FILE] --kubeconfig[=FILE] [--context=NAME]",
                 .summary = "Validate and cross-check configuration (IST message codes); "
                            "exit 1 on any error.",
                 .run = RunAnalyze,
             });

}  // namespace keel::keelctl
