#include "services/galley/galley_flags.h"

#include "absl/flags/flag.h"
#include "libs/common/net.h"
#include "libs/common/shared_flags.h"

namespace keel::galley {

// --config_source=files|kubernetes
bool AbslParseFlag(absl::string_view text, ConfigSourceKind* kind, std::string* error) {
  if (text == "files") {
    *kind = ConfigSourceKind::kFiles;
  } else if (text == "kubernetes") {
    *kind = ConfigSourceKind::kKubernetes;
  } else {
    *error = "want files or kubernetes";
    return false;
  }
  return true;
}

std::string AbslUnparseFlag(ConfigSourceKind kind) {
  return kind == ConfigSourceKind::kKubernetes ? "kubernetes" : "files";
}

}  // namespace keel::galley

ABSL_FLAG(keel::galley::ConfigSourceKind, config_source, keel::galley::ConfigSourceKind::kFiles,
          "Where config comes from: files (--config_dir, and keelctl apply on etcd) or "
          "kubernetes (Istio's CRDs and the cluster's Services, EndpointSlices, Pods and Nodes).");
ABSL_FLAG(std::string, kubeconfig, "",
          "With --config_source=kubernetes: the kubeconfig to use; else $KUBECONFIG, else the "
          "pod's service account.");
ABSL_FLAG(std::string, kube_context, "", "The kubeconfig's context to use; else its current one.");
ABSL_FLAG(absl::Duration, kube_sync_timeout, absl::Seconds(60),
          "With --config_source=kubernetes: Galley fails to start when some type has not been "
          "listed by then (it never serves a partial cluster).");
ABSL_FLAG(std::vector<std::string>, config_dir, {},
          "Comma-separated directories of Istio YAML to read recursively.");
ABSL_FLAG(absl::Duration, debounce, absl::Milliseconds(100),
          "Quiet time before Galley reloads during a burst of file changes (a lone change "
          "to complete files reloads at once).");
ABSL_FLAG(absl::Duration, folder_writer_lease, absl::Seconds(5),
          "On etcd with --config_dir: replicas reading the same folders elect one writer; how "
          "long a dead writer keeps the role.");
ABSL_FLAG(keel::ListenAddress, webhook_address, {},
          "host:port of the validating admission webhook (HTTPS); off when empty.");
ABSL_FLAG(std::string, webhook_cert, "", "PEM certificate chain of the webhook's HTTPS server.");
ABSL_FLAG(std::string, webhook_key, "", "PEM private key of the webhook's HTTPS server.");
ABSL_FLAG(std::string, webhook_configuration, "",
          "The ValidatingWebhookConfiguration whose caBundle Galley keeps equal to --webhook_ca "
          "(in the cluster of --kubeconfig, else the pod's).");
ABSL_FLAG(std::string, webhook_ca, "",
          "PEM CA of the webhook's certificate, for --webhook_configuration and "
          "--injection_configuration.");
ABSL_FLAG(std::string, injection_template, "",
          "Serve proxyless injection (POST /inject on the webhook's server) from this template: "
          "pods annotated inject.istio.io/templates: grpc-agent get keel-agent beside them.");
ABSL_FLAG(std::string, injection_configuration, "",
          "The MutatingWebhookConfiguration whose caBundle Galley keeps equal to --webhook_ca.");

namespace keel::galley {

GalleyOptions GalleyOptionsFromFlags() {
  return GalleyOptions{
      .source = absl::GetFlag(FLAGS_config_source),
      .config_dirs = absl::GetFlag(FLAGS_config_dir),
      .kubeconfig = absl::GetFlag(FLAGS_kubeconfig),
      .kube_context = absl::GetFlag(FLAGS_kube_context),
      .kube_sync_timeout = absl::GetFlag(FLAGS_kube_sync_timeout),
      .cluster_domain = absl::GetFlag(FLAGS_cluster_domain),
      .trust_domain = absl::GetFlag(FLAGS_trust_domain),
      .debounce = absl::GetFlag(FLAGS_debounce),
      .debounce_max = absl::GetFlag(FLAGS_debounce_max),
      .webhook_address = absl::GetFlag(FLAGS_webhook_address).value,
      .webhook_cert_file = absl::GetFlag(FLAGS_webhook_cert),
      .webhook_key_file = absl::GetFlag(FLAGS_webhook_key),
      .webhook_configuration = absl::GetFlag(FLAGS_webhook_configuration),
      .webhook_ca_file = absl::GetFlag(FLAGS_webhook_ca),
      .injection_template = absl::GetFlag(FLAGS_injection_template),
      .injection_configuration = absl::GetFlag(FLAGS_injection_configuration),
      .etcd_endpoints = absl::GetFlag(FLAGS_etcd_endpoints),
      .folder_writer_lease = absl::GetFlag(FLAGS_folder_writer_lease),
  };
}

}  // namespace keel::galley
