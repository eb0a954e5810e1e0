#!/usr/bin/env bash
# Soak: `image-cloner serve` on loopback under thousands of admissions over
# HTTPS keep-alive from many connections for BENCH_DURATION seconds: a mix
# of already-mirrored images (~80%), new distinct images (~15%) and herds of
# one new image from every connection at once (~5%). Reports admissions/s,
# errors, latency percentiles, copies per image (from the backup registry's
# access log), RSS and open descriptors over time (from /proc).
# Usage: bench/soak.sh        (settings: see bench/soak-config.ts)
#   BENCH_DURATION=S        seconds of load (default 60)
#   BENCH_CONNECTIONS=N     keep-alive connections (default 64)
#   BENCH_MIRRORED=N BENCH_NEW=N BENCH_HERDS=N   images of each kind (50, 100, 30)
#   BENCH_STRICT=1          exit 1 on any error, a copy count other than one, or a leak
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/install-deps.sh
npm run --silent build

exec node --import tsx bench/soak.ts
