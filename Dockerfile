# image-cloner: `image-cloner serve` (the admission webhook) on the current
# Node.js LTS, in a distroless image: no shell, no package manager, only
# node, the compiled dist/ and the production dependencies.
#
#   docker build -t image-cloner:dev .
#   docker run --rm image-cloner:dev --help
#
# Kind (CLUSTER-NOTES, Part 2): push to the local registry, or
#   kind load docker-image image-cloner:dev --name <cluster>
# (see manifests/overlays/kind for the tag and pull policy that works with).

# One Node.js major for every stage: the build and the runtime must agree.
# 26 is the Active LTS line (LTS since 2026-10-28; 24 is in maintenance).
ARG NODE_MAJOR=26

# Compiles TypeScript. dist/ is plain JavaScript, the same on every platform,
# so this stage runs on the builder's own platform (no emulation in a
# multi-platform build).
FROM --platform=$BUILDPLATFORM node:${NODE_MAJOR}-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# The production dependencies alone, in a clean stage (no dev dependency,
# no npm cache), on the target platform in case one ever ships native code.
FROM node:${NODE_MAJOR}-trixie-slim AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Runtime: distroless Node.js on Debian 13, user "nonroot".
FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian13:nonroot
LABEL org.opencontainers.image.title="image-cloner" \
      org.opencontainers.image.description="Kubernetes mutating admission webhook that copies workload images to a backup registry" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
# package.json: "type": "module" makes node load dist/ as ES modules.
COPY package.json ./
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Numeric, so Kubernetes can check runAsNonRoot without resolving a name
# (65532 is distroless's nonroot; manifests/base/deployment.yaml runs as it).
USER 65532:65532
EXPOSE 8443
# Exec form: node is PID 1 and receives SIGTERM itself (there is no shell
# anyway). `docker run IMAGE copy SRC DST` runs another subcommand.
# A young generation of 8 MiB semi-spaces (V8's own cap here is 16): shorter
# scavenges, so a shorter admission latency tail (bench/webhook.sh: p99 at
# 8 connections 1.5x -> 1.2x the bare server's), and less memory.
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=8", "/app/dist/cli.js"]
CMD ["serve"]
