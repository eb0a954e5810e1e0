#!/usr/bin/env bash
# The main job, end to end on this machine: starts a real source registry and
# a real TLS + token-auth backup registry on loopback, copies a two-platform
# image with the built `image-cloner copy`, and checks the result with skopeo.
# Installs what it needs on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
npm run --silent build
exec node --import tsx scripts/smoke.ts "$@"
