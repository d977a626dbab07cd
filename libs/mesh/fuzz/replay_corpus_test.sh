#!/usr/bin/env bash
# The fuzz corpus (and the samples) replayed through the fuzz target.
set -euo pipefail
root="$TEST_SRCDIR/$TEST_WORKSPACE"
"$root/libs/mesh/config_fuzzer" -timeout=20 "$root/libs/mesh/fuzz/corpus" "$root/samples"
