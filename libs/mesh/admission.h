// Admission: the one way config enters Keel. Every entry point that accepts
// config — Galley's file source, its config API (keelctl apply, on etcd),
// its admission webhook, keelctl validate and analyze, and Pilot's
// /debug/diff — reads it through here, so each applies the same checks:
//
//   1. CheckFile: parse every document (file, line, field, reason), and
//      validate each resource with its kind's rules;
//   2. CheckAcross: what only the whole config shows, today Mixer's rules
//      and instances type-checked against the attribute manifests beside
//      them (and in force).
//
//   std::vector<CheckedFile> files = AdmitFiles({{"reviews.yaml", text}}, in_force);
//   if (AnyErrors(files)) ... nothing is applied ...
#ifndef KEEL_LIBS_MESH_ADMISSION_H_
#define KEEL_LIBS_MESH_ADMISSION_H_

#include <string>
#include <vector>

#include "libs/mesh/diagnostic.h"
#include "libs/mesh/resource.h"

namespace keel::mesh {

// One file's text, as a user wrote it: `name` is what diagnostics name.
struct ConfigText {
  std::string name;
  std::string content;
};

// A file read and checked on its own.
struct CheckedFile {
  std::string name;
  // Every resource that parsed, in file order; `valid[i]` tells whether
  // resources[i] passed its kind's rules (analysis reads the others too).
  std::vector<Resource> resources;
  std::vector<bool> valid;
  std::vector<KubeObject> kube_objects;  // v1 Service, Namespace, Pod
  // Parse problems, validation problems, and infos for skipped kinds.
  std::vector<Diagnostic> diagnostics;
};

// CheckFile parses `file` and validates each resource.
CheckedFile CheckFile(const ConfigText& file);

// CheckAcross returns what only the config as a whole shows about
// `resources` (Mixer type-checking), an error per resource refused.
std::vector<Diagnostic> CheckAcross(const std::vector<const Resource*>& resources);

// AdmitFiles is CheckFile for each file, then (when they hold Mixer config)
// CheckAcross over their valid resources together with `in_force` (the
// config already served, which takes no blame: only diagnostics on `files`
// are added).
std::vector<CheckedFile> AdmitFiles(const std::vector<ConfigText>& files,
                                    const std::vector<const Resource*>& in_force = {});

// AnyErrors reports whether any file has an error.
bool AnyErrors(const std::vector<CheckedFile>& files);

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_ADMISSION_H_
