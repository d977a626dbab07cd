#!/usr/bin/env bash
# The CSR fuzz corpus replayed through the fuzz target.
set -euo pipefail
root="$TEST_SRCDIR/$TEST_WORKSPACE"
"$root/libs/mtls/csr_fuzzer" -timeout=20 "$root/libs/mtls/fuzz/corpus"
