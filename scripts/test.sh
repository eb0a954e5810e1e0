#!/usr/bin/env bash
# Runs every test (type-check included). Installs what the tests need on a
# fresh Debian machine first (see scripts/install-deps.sh). Ends with the
# line `tests: N passed, M failed` and exits non-zero on any failure.
# Usage: scripts/test.sh [test/dir-or-file ...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
npm run --silent build
npm run --silent typecheck
node scripts/run-tests.mjs "$@"
