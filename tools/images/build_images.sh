#!/usr/bin/env bash
# Makes Keel's container images from binaries already built, offline: shared
# layers of the libraries the binaries link (see below), and per image one
# layer holding its stripped binary in /usr/local/bin, run as the non-root
# user 1337 with the binary as the entrypoint. No shell, no package manager,
# no CA bundle or time zones (Keel verifies each peer with roots it is
# given and logs in UTC).
#
#   build_images.sh --version=V --revision=R [--out=DIR] [--created=RFC3339] IMAGE[:TAG]=BINARY...
#
# IMAGE becomes localhost/keel/IMAGE:TAG (TAG defaults to V), BINARY keeps
# its file name (agent=.../keel-agent runs /usr/local/bin/keel-agent). With
# --out, each image is also written as an OCI archive DIR/keel-IMAGE-TAG.tar
# (podman load, kind load image-archive, skopeo copy to a registry).
# Prints one line per image: name, size in bytes, archive.
set -euo pipefail

version="" revision="" out="" created=""
specs=()
for arg in "$@"; do
  case "$arg" in
    --version=*) version=${arg#*=} ;;
    --revision=*) revision=${arg#*=} ;;
    --out=*) out=${arg#*=} ;;
    --created=*) created=${arg#*=} ;;
    -*) echo "build_images.sh: unknown flag $arg" >&2; exit 2 ;;
    *=*) specs+=("$arg") ;;
    *) echo "build_images.sh: want IMAGE[:TAG]=BINARY, got \"$arg\"" >&2; exit 2 ;;
  esac
done
if [[ -z "$version" || -z "$revision" || ${#specs[@]} -eq 0 ]]; then
  echo "usage: build_images.sh --version=V --revision=R [--out=DIR] IMAGE[:TAG]=BINARY..." >&2
  exit 2
fi
[[ -n "$created" ]] || created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$(cd "$(dirname "$0")/../containers" && pwd)/containers.conf}
for tool in buildah podman ldd strip; do
  command -v "$tool" >/dev/null || { echo "build_images.sh: $tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done
for spec in "${specs[@]}"; do
  binary=${spec#*=}
  [[ -x "$binary" ]] || { echo "build_images.sh: $binary is not an executable file" >&2; exit 1; }
done

stage=$(mktemp -d /tmp/keel-images.XXXXXX)
containers=()
cleanup() {
  for c in "${containers[@]+"${containers[@]}"}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
  rm -rf "$stage"
}
trap cleanup EXIT

labels() {  # labels TITLE DESCRIPTION: sets label_args, the OCI annotations every image carries
  label_args=(--label "org.opencontainers.image.title=$1"
              --label "org.opencontainers.image.description=$2"
              --label "org.opencontainers.image.version=$version"
              --label "org.opencontainers.image.revision=$revision"
              --label "org.opencontainers.image.created=$created")
}

# Two shared layers: "base" holds what every binary links (the loader and
# libc, with passwd, nsswitch.conf and /tmp); "libs", on top of it, the
# rest of the libraries Keel's C++ binaries link (gRPC, protobuf, Abseil,
# OpenSSL...: their union, so the layer is stored once for all of them). An
# image whose binary links nothing beyond the base (etcd) is built on the
# base alone.
libs_of() { ldd "$1" 2>/dev/null | grep -o '/[^ ]*' | sort -u || true; }
common="" union=""
for spec in "${specs[@]}"; do
  mine=$(libs_of "${spec#*=}")
  union=$(printf '%s\n%s\n' "$union" "$mine" | grep . | sort -u || true)
  if [[ -z "${common_set:-}" ]]; then
    common=$mine common_set=1
  else
    common=$(comm -12 <(echo "$common") <(echo "$mine"))
  fi
done
extra=$(comm -23 <(echo "$union") <(echo "$common") | grep . || true)
copy_libs() {  # copy_libs ROOT: the listed libraries at the paths the loader looks in
  local root=$1 lib
  while read -r lib; do
    [[ -n "$lib" ]] || continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}
base="$stage/base"
mkdir -p "$base/etc" "$base/tmp" "$base/usr/local/bin"
chmod 1777 "$base/tmp"
echo "$common" | copy_libs "$base"
printf 'root:x:0:0:root:/root:/sbin/nologin\nkeel:x:1337:1337:keel:/nonexistent:/sbin/nologin\n' >"$base/etc/passwd"
printf 'root:x:0:\nkeel:x:1337:\n' >"$base/etc/group"
# Names resolve from /etc/hosts (which the runtime writes) then DNS.
printf 'hosts: files dns\n' >"$base/etc/nsswitch.conf"
c=$(buildah from scratch)
containers+=("$c")
buildah copy --quiet "$c" "$base" / >/dev/null
labels "keel-base" "The loader and C library Keel's images share"
buildah config --user 1337:1337 --env PATH=/usr/local/bin --workingdir / "${label_args[@]}" "$c"
buildah commit --quiet --rm "$c" "localhost/keel/base:$version" >/dev/null
containers=()
if [[ -n "$extra" ]]; then
  mkdir -p "$stage/libs"
  echo "$extra" | copy_libs "$stage/libs"
  c=$(buildah from --pull-never "localhost/keel/base:$version")
  containers+=("$c")
  buildah copy --quiet "$c" "$stage/libs" / >/dev/null
  labels "keel-libs" "The shared libraries Keel's C++ binaries link"
  buildah config "${label_args[@]}" "$c"
  buildah commit --quiet --rm "$c" "localhost/keel/libs:$version" >/dev/null
  containers=()
fi

[[ -z "$out" ]] || mkdir -p "$out"
for spec in "${specs[@]}"; do
  name=${spec%%=*}
  binary=${spec#*=}
  image=${name%%:*}
  tag=$version
  [[ "$name" == *:* ]] && tag=${name#*:}
  file=$(basename "$binary")
  mkdir -p "$stage/$image/usr/local/bin"
  strip --strip-unneeded -o "$stage/$image/usr/local/bin/$file" "$binary"
  from="localhost/keel/base:$version"
  if [[ -n "$(comm -23 <(libs_of "$binary") <(echo "$common") | grep . || true)" ]]; then
    from="localhost/keel/libs:$version"
  fi
  c=$(buildah from --pull-never "$from")
  containers+=("$c")
  buildah copy --quiet --chmod 0755 "$c" "$stage/$image/usr/local/bin/$file" "/usr/local/bin/$file" >/dev/null
  labels "keel-$image" "Keel's $file"
  buildah config --entrypoint "[\"/usr/local/bin/$file\"]" --cmd '' --user 1337:1337 "${label_args[@]}" "$c"
  ref="localhost/keel/$image:$tag"
  buildah commit --quiet --rm "$c" "$ref" >/dev/null
  containers=()
  size=$(podman image inspect --format '{{.Size}}' "$ref")
  archive=""
  if [[ -n "$out" ]]; then
    archive="$out/keel-$image-$tag.tar"
    rm -f "$archive"
    podman save --quiet --format oci-archive -o "$archive" "$ref"
  fi
  echo "$ref $size ${archive:--}"
done
