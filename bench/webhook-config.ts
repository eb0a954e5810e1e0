/**
 * Settings of the webhook benchmark (bench/webhook.sh), read once from the
 * environment (zod: every piece of outside data is parsed) into a frozen
 * object. Defaults live here. Separate from bench-config.ts, whose settings
 * are the copy benchmark's.
 */
import { tmpdir } from 'node:os';
import { z } from 'zod';
import { parseBenchEnv } from './bench-setup.js';
import { SERVE_NODE_FLAGS } from './serve-node-flags.js';
import { LOG_LEVELS } from '../src/server/logger.js';
import type { LogLevel } from '../src/server/logger.js';

const flag = z.enum(['0', '1']).transform((v) => v === '1');

const envSchema = z.object({
  BENCH_REPS: z.coerce.number().int().min(1).max(20).default(3),
  BENCH_STRICT: flag.default(false),
  /** Seconds of each measured load run. */
  BENCH_DURATION: z.coerce.number().int().min(1).max(300).default(10),
  /** Seconds of unmeasured load before each server's runs (JIT, connection set-up). */
  BENCH_WARMUP: z.coerce.number().int().min(0).max(60).default(3),
  /** wrk threads: 1 leaves the second core of a 2-core machine to the server under test. */
  BENCH_THREADS: z.coerce.number().int().min(1).max(16).default(1),
  BENCH_THROUGHPUT_CONNECTIONS: z.coerce.number().int().min(1).max(1000).default(64),
  BENCH_LATENCY_CONNECTIONS: z.coerce.number().int().min(1).max(1000).default(8),
  /** LOG_LEVEL of each measured serve process, in order; the product default (info) matters most. */
  BENCH_LOG_LEVELS: z
    .string()
    .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p !== ''))
    .pipe(z.array(z.enum(LOG_LEVELS)).min(1))
    .default(['info', 'warn']),
  /** Every request distinct (an annotation with a sequence number): the answer cache never hits, each admission is planned. */
  BENCH_DISTINCT: flag.default(false),
  /** Distinct images admitted once each on the cold path (0 skips it). */
  BENCH_COLD_IMAGES: z.coerce.number().int().min(0).max(500).default(50),
  /**
   * Node flags for the serve process and the bare server alike, space-separated (e.g. add
   * `--cpu-prof --cpu-prof-dir=DIR`); by default the one the Dockerfile's ENTRYPOINT gives node.
   */
  BENCH_NODE_ARGS: z.string().default(SERVE_NODE_FLAGS),
  /** The CLI to measure instead of this checkout's dist/cli.js (a candidate build), against the same bare server. */
  BENCH_CLI: z.string().min(1).optional(),
  BENCH_TMPDIR: z.string().min(1).optional(),
});

export type WebhookBenchConfig = Readonly<{
  reps: number;
  strict: boolean;
  durationS: number;
  warmupS: number;
  threads: number;
  throughputConnections: number;
  latencyConnections: number;
  logLevels: readonly LogLevel[];
  coldImages: number;
  distinct: boolean;
  nodeArgs: readonly string[];
  cli: string | undefined;
  tmpBase: string;
}>;

export function loadWebhookBenchConfig(env: NodeJS.ProcessEnv): WebhookBenchConfig {
  const e = parseBenchEnv(env, envSchema);
  return Object.freeze({
    reps: e.BENCH_REPS,
    strict: e.BENCH_STRICT,
    durationS: e.BENCH_DURATION,
    warmupS: e.BENCH_WARMUP,
    threads: e.BENCH_THREADS,
    throughputConnections: e.BENCH_THROUGHPUT_CONNECTIONS,
    latencyConnections: e.BENCH_LATENCY_CONNECTIONS,
    logLevels: Object.freeze([...new Set(e.BENCH_LOG_LEVELS)]),
    coldImages: e.BENCH_COLD_IMAGES,
    distinct: e.BENCH_DISTINCT,
    nodeArgs: e.BENCH_NODE_ARGS.split(/\s+/).filter((a) => a !== ''),
    cli: e.BENCH_CLI,
    tmpBase: e.BENCH_TMPDIR ?? tmpdir(),
  });
}
