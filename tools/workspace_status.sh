#!/usr/bin/env bash
# Stamps the version and git commit into binaries (see //libs/common:build_info).
top=$(dirname "$0")/..
echo "STABLE_KEEL_VERSION $(cat "$top/VERSION" 2>/dev/null || echo unknown)"
commit=$(git -C "$top" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && ! git -C "$top" diff --quiet HEAD 2>/dev/null; then
  commit="$commit-dirty"
fi
echo "STABLE_GIT_COMMIT $commit"
