#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test.
# Extra arguments go to `bazel test` (e.g. --config=asan, or a target list
# after `--`).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -eq 0 ]]; then
  bash scripts/install-deps.sh
else
  sudo bash scripts/install-deps.sh
fi

# Tests that check Keel against real Istio configuration read it from the
# team's shared folder beside the project.
shared=${KEEL_SHARED_DIR:-}
for candidate in "$shared" "$PWD/../shared" /work/shared; do
  if [[ -n "$candidate" && -d "$candidate/testdata/istio" ]]; then
    shared=$(cd "$candidate" && pwd)
    break
  fi
done

# Test results are never taken from the cache: every run really runs them.
exec bazel test //... --nocache_test_results --test_env=KEEL_SHARED_DIR="$shared" "$@"
