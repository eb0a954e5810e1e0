#!/usr/bin/env bash
# The main job, end to end on this machine: starts a real source registry and
# a real TLS + token-auth backup registry on loopback, copies a two-platform
# image with the built `image-cloner copy`, and checks the result with skopeo.
# Installs what it needs on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."
# `--cluster [--keep]`: the same on a real cluster (scripts/smoke-cluster.sh).
smoke_usage() {
  printf '%s\n' \
    'usage: scripts/smoke.sh                       the whole flow on this machine, no cluster' \
    '       scripts/smoke.sh --cluster [--keep]    the same on a real cluster: Kind, or any' \
    '                                              context with IMAGE and BACKUP_REGISTRY set' \
    '                                              (scripts/smoke.sh --cluster --help)'
}
case "${1-}" in
  --cluster) shift; exec bash scripts/smoke-cluster.sh "$@" ;;
  -h | --help) smoke_usage; exit 0 ;;
  "") ;;
  *) printf 'smoke: unknown argument: %s\n\n' "$1" >&2; smoke_usage >&2; exit 2 ;;
esac
source scripts/install-deps.sh
npm run --silent build
exec node --import tsx scripts/smoke.ts "$@"
