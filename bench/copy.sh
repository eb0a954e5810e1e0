#!/usr/bin/env bash
# Benchmark: `image-cloner copy` against `skopeo copy` for a ~1 GiB image of
# 8 layers and a 200-layer image, between real registries on loopback.
# Installs what it needs on a fresh Debian machine (the registry server,
# skopeo, the npm packages), builds, and runs bench/copy-bench.ts.
# Usage: bench/copy.sh            (settings: see bench/bench-config.ts)
#   BENCH_REPS=N       repetitions, median reported (default 3)
#   BENCH_STRICT=1     exit 1 when a target is missed
#   BENCH_IMAGES=large,many  BENCH_TOOLS=ours,skopeo  BENCH_JOBS=N
#   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"  BENCH_FLOOR=0|1
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/install-deps.sh
npm run --silent build

exec node --import tsx bench/copy-bench.ts
