#!/usr/bin/env bash
# Builds Keel's container images, offline, from the optimized build:
#   keel/galley keel/pilot keel/citadel keel/mixer keel/agent (the
#   chart's split mode), keel/keel (istiod mode), keel/keelctl,
#   keel/echo-server keel/echo-client (the demo's workloads), all tagged with
#   the build's version, and keel/etcd:<etcd's version> from Debian's etcd
#   (the chart's bundled etcd).
# Each is also written as an OCI archive into --out (default out/images).
# See docs/containers.md.
#
#   scripts/images.sh [--out=DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=out/images
for arg in "$@"; do
  case "$arg" in
    --out=*) out=${arg#*=} ;;
    *) echo "usage: scripts/images.sh [--out=DIR]" >&2; exit 2 ;;
  esac
done
for tool in buildah podman bazel; do
  command -v "$tool" >/dev/null || { echo "images.sh: $tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done
targets=(//services/galley //services/pilot //services/citadel //services/mixer
         //services/agent:keel-agent //services/keel //services/keelctl
         //integration/apps:echo_server //integration/apps:echo_client)
bazel build -c opt "${targets[@]}"
bin=$(bazel info -c opt bazel-bin 2>/dev/null)
# The version and commit stamped into the binaries label the images too.
stamp=$("$bin/services/pilot/pilot" --version)  # "pilot version V (commit C)"
version=$(sed -E 's/^[^ ]+ version ([^ ]+).*/\1/' <<<"$stamp")
revision=$(sed -E 's/.*\(commit ([^)]+)\).*/\1/' <<<"$stamp")
etcd_version=$(/usr/bin/etcd --version | sed -n 's/^etcd Version: //p')
created=$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
exec tools/images/build_images.sh --version="$version" --revision="$revision" --created="$created" \
  --out="$out" \
  galley="$bin/services/galley/galley" pilot="$bin/services/pilot/pilot" \
  citadel="$bin/services/citadel/citadel" mixer="$bin/services/mixer/mixer" \
  agent="$bin/services/agent/keel-agent" keel="$bin/services/keel/keel" \
  keelctl="$bin/services/keelctl/keelctl" \
  echo-server="$bin/integration/apps/echo_server" echo-client="$bin/integration/apps/echo_client" \
  "etcd:$etcd_version=/usr/bin/etcd"
