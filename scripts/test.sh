#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test.
# Extra arguments go to `bazel test` (e.g. --config=asan); a target list
# after `--` runs just those, in the debug build.
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
#
# Unit tests run in the debug build (assertions, quick to build); the
# end-to-end suites, which start the real binaries, run once, in the
# optimized build users run (a crash only -O2 showed has happened before).
END_TO_END=(//integration/... //helm/keel:chart_render_test //services/keelctl:commands_test)
# Extra arguments (bazel flags, or "-- TARGETS") apply to both runs.
flags=() targets=()
for ((i = 1; i <= $#; i++)); do
  if [[ "${!i}" == "--" ]]; then targets=("${@:i+1}"); break; fi
  flags+=("${!i}")
done
events=()
[[ -n "${KEEL_TEST_EVENTS_DIR:-}" ]] && events=(--build_event_json_file="$KEEL_TEST_EVENTS_DIR/debug.json")
status=0
if ((${#targets[@]})); then
  # Named targets: run as asked, in the debug build.
  bazel test --nocache_test_results --test_env=KEEL_SHARED_DIR="$shared" "${events[@]}" \
    "${flags[@]+"${flags[@]}"}" -- "${targets[@]}" || status=$?
  exit $status
fi
excluded=()
for target in "${END_TO_END[@]}"; do excluded+=("-$target"); done
bazel test --build_tests_only --nocache_test_results --test_env=KEEL_SHARED_DIR="$shared" \
  "${events[@]}" "${flags[@]+"${flags[@]}"}" -- //... "${excluded[@]}" || status=$?

[[ -n "${KEEL_TEST_EVENTS_DIR:-}" ]] && events=(--build_event_json_file="$KEEL_TEST_EVENTS_DIR/opt.json")
bazel test -c opt --nocache_test_results --test_env=KEEL_SHARED_DIR="$shared" "${events[@]}" \
  "${flags[@]+"${flags[@]}"}" -- "${END_TO_END[@]}" || status=$?
exit $status
