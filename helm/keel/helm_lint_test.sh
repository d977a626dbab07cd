#!/usr/bin/env bash
# helm lint --strict on the chart, with default and with non-default values.
set -euo pipefail
export HELM_CACHE_HOME="$TEST_TMPDIR/helm-cache" HELM_CONFIG_HOME="$TEST_TMPDIR/helm-config" \
  HELM_DATA_HOME="$TEST_TMPDIR/helm-data"
helm=$(command -v helm || echo /usr/local/bin/helm)
chart="$TEST_SRCDIR/$TEST_WORKSPACE/helm/keel"
"$helm" lint --strict "$chart"
"$helm" lint --strict "$chart" --set pilot.replicas=3,pilot.autoscaling.enabled=false,mixer.enabled=false
"$helm" lint --strict "$chart" --set etcd.mode=bundled,mixer.mode=split
"$helm" lint --strict "$chart" --set mode=istiod,etcd.mode=bundled
"$helm" lint --strict "$chart" --set mode=istiod,citadel.caMode=cacerts,mixer.enabled=false
"$helm" lint --strict "$chart" --set 'workloads[0].name=echo,workloads[0].image=keel/echo,workloads[0].serviceAccount=echo,workloads[0].ports[0].name=grpc,workloads[0].ports[0].port=8080'
