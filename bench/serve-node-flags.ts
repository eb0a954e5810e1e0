/**
 * The node flag the container image runs `serve` with (the Dockerfile's
 * ENTRYPOINT; test/manifests/dockerfile.test.ts checks the two agree), so
 * bench/webhook.sh measures what is deployed.
 */
export const SERVE_NODE_FLAGS = '--max-semi-space-size=8';
