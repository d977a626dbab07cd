#!/usr/bin/env bash
# The expression fuzz corpus replayed through the fuzz target.
set -euo pipefail
root="$TEST_SRCDIR/$TEST_WORKSPACE"
"$root/libs/mixer/expression_fuzzer" -timeout=20 "$root/libs/mixer/fuzz/expressions"
