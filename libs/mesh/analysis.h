// Cross-resource analysis, like `istioctl analyze`: problems no single
// resource shows, reported with Istio's message codes (IST0101, ...) and
// levels. Hosts resolve against ServiceEntries (with their exportTo scoping)
// and, when the input has them, Kubernetes Services (as Istio's synthetic
// ServiceEntries: name.namespace.svc.<domain>, exported everywhere unless
// the networking.istio.io/exportTo annotation says otherwise).
#ifndef KEEL_LIBS_MESH_ANALYSIS_H_
#define KEEL_LIBS_MESH_ANALYSIS_H_

#include <string>
#include <vector>

#include "libs/mesh/diagnostic.h"
#include "libs/mesh/hosts.h"
#include "libs/mesh/resource.h"

namespace keel::mesh {

struct AnalysisOptions {
  // The cluster domain short names expand with: reviews -> reviews.<ns>.svc.<domain>.
  std::string cluster_domain = "cluster.local";
  // The mesh config's exportTo defaults, for resources that give none.
  std::vector<std::string> default_service_export_to = {"*"};
  std::vector<std::string> default_virtual_service_export_to = {"*"};
};

// What analyzers look at: every resource that parsed, at once (as Istio's
// analyzers, they also see resources that fail validation).
struct AnalysisInput {
  // One version of each kind/namespace/name (the last given).
  std::vector<const Resource*> resources;
  // Every version given: a reference is satisfied if any version satisfies
  // it (files that are alternatives of one object, as Istio's samples are,
  // must not produce false errors).
  std::vector<const Resource*> all_versions;
  // Kubernetes objects given beside them (Services, Namespaces, Pods).
  std::vector<const KubeObject*> kube_objects;
  AnalysisOptions options;
};

struct Analyzer {
  std::string name;  // e.g. "virtualservice.DestinationHostAnalyzer"
  void (*run)(const AnalysisInput& input, std::vector<Diagnostic>& out);
};

// Analyzers returns every registered analyzer.
const std::vector<Analyzer>& Analyzers();

// Analyze runs every analyzer and returns their findings, sorted by file and
// line. A resource given more than once (same kind/namespace/name) counts
// once, as its last version.
std::vector<Diagnostic> Analyze(const std::vector<const Resource*>& resources,
                                const AnalysisOptions& options = {});
// The same, with Kubernetes objects the analyzers may resolve against.
std::vector<Diagnostic> Analyze(const std::vector<const Resource*>& resources,
                                const std::vector<const KubeObject*>& kube_objects,
                                const AnalysisOptions& options = {});

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_ANALYSIS_H_
