/**
 * Settings of the soak (bench/soak.sh), read once from the environment
 * (zod) into a frozen object. Defaults live here.
 */
import { tmpdir } from 'node:os';
import { z } from 'zod';
import { parseBenchEnv } from './bench-setup.js';

const envSchema = z.object({
  /** Seconds of load. */
  BENCH_DURATION: z.coerce.number().int().min(5).max(3_600).default(60),
  BENCH_CONNECTIONS: z.coerce.number().int().min(1).max(1_000).default(64),
  /** Images mirrored before the load (the ~80% share draws from them). */
  BENCH_MIRRORED: z.coerce.number().int().min(1).max(1_000).default(50),
  /** New distinct images (the ~15% share walks through them, then repeats them). */
  BENCH_NEW: z.coerce.number().int().min(0).max(2_000).default(100),
  /** New images sent as herds (each by every connection at once); one herd each. */
  BENCH_HERDS: z.coerce.number().int().min(0).max(1_000).default(30),
  /** Milliseconds between RSS and descriptor samples. */
  BENCH_SAMPLE_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  BENCH_STRICT: z.enum(['0', '1']).transform((v) => v === '1').default(false),
  BENCH_TMPDIR: z.string().min(1).optional(),
});

export interface SoakConfig {
  readonly durationMs: number;
  readonly connections: number;
  readonly mirrored: number;
  readonly fresh: number;
  readonly herds: number;
  readonly sampleMs: number;
  readonly strict: boolean;
  readonly tmpdir: string;
}

export function loadSoakConfig(env: NodeJS.ProcessEnv = process.env): SoakConfig {
  const vars = parseBenchEnv(env, envSchema);
  return Object.freeze({
    durationMs: vars.BENCH_DURATION * 1000,
    connections: vars.BENCH_CONNECTIONS,
    mirrored: vars.BENCH_MIRRORED,
    fresh: vars.BENCH_NEW,
    herds: vars.BENCH_HERDS,
    sampleMs: vars.BENCH_SAMPLE_MS,
    strict: vars.BENCH_STRICT,
    tmpdir: vars.BENCH_TMPDIR ?? tmpdir(),
  });
}
