#!/usr/bin/env bash
# Replays fuzz corpora through a fuzz target built without libFuzzer (the
# driver in fuzz_driver.cc): every input must run to its end.
#   replay_corpus.sh WORKSPACE_PATH_OF_FUZZER CORPUS_DIR...
set -euo pipefail
root="$TEST_SRCDIR/$TEST_WORKSPACE"
fuzzer=$1
shift
dirs=()
for dir in "$@"; do dirs+=("$root/$dir"); done
"$root/$fuzzer" -timeout=20 "${dirs[@]}"
