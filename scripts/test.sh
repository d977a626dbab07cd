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
# KEEL_TEST_EVENTS_DIR (set by .ci/run) receives each run's build event
# stream, debug.json and opt.json, for counting.
events=()
[[ -n "${KEEL_TEST_EVENTS_DIR:-}" ]] && events=(--build_event_json_file="$KEEL_TEST_EVENTS_DIR/debug.json")
status=0
bazel test //... --nocache_test_results --test_env=KEEL_SHARED_DIR="$shared" "${events[@]}" "$@" \
  || status=$?

# Users run the optimized build: the end-to-end tests run again in it (a
# crash only -O2 showed has happened before).
[[ -n "${KEEL_TEST_EVENTS_DIR:-}" ]] && events=(--build_event_json_file="$KEEL_TEST_EVENTS_DIR/opt.json")
bazel test -c opt --nocache_test_results --test_env=KEEL_SHARED_DIR="$shared" "${events[@]}" "$@" \
  //integration:foundation_test //integration:galley_test //integration:pilot_test //integration:citadel_test //integration:agent_test //integration:mixer_test //integration:console_test \
  //services/keelctl:commands_test //helm/keel:chart_render_test || status=$?
exit $status
