#!/usr/bin/env bash
# Benchmark: `image-cloner serve` against a bare node:https server that only
# parses the AdmissionReview, both loaded with wrk over HTTPS keep-alive on
# loopback (hot path: a Deployment whose images are cached); and the cold
# path (images already in the backup, nothing cached). Installs what it
# needs on a fresh Debian machine (the registry server, wrk, the npm
# packages), builds, and runs bench/webhook-bench.ts.
# Usage: bench/webhook.sh           (settings: see bench/webhook-config.ts)
#   BENCH_REPS=N            repetitions, medians reported (default 3)
#   BENCH_DURATION=S        seconds per load run (default 10); BENCH_WARMUP=S (3)
#   BENCH_LOG_LEVELS=info,warn   one serve process per LOG_LEVEL
#   BENCH_THREADS=N         wrk threads (default 1)
#   BENCH_COLD_IMAGES=N     cold-path images (default 50; 0 skips)
#   BENCH_DISTINCT=1        every request distinct: no answer is replayed, each is planned
#   BENCH_STRICT=1          exit 1 when a target is missed
#   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"   node flags for serve
#   BENCH_CLI=PATH          measure another build's cli.js against the same bare server
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/install-deps.sh
if ! command -v wrk >/dev/null; then
  echo "installing Debian package: wrk" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
npm run --silent build

exec node --import tsx bench/webhook-bench.ts
