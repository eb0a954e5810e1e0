/**
 * Benchmark settings, read once from the environment (zod: every piece of
 * outside data is parsed) into a frozen object. Defaults live here.
 */
import { tmpdir } from 'node:os';
import { z } from 'zod';
import { parseBenchEnv } from './bench-setup.js';

const flag = z.enum(['0', '1']).transform((v) => v === '1');
const list = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p !== ''))
    .pipe(z.array(z.enum(values)).min(1));

const envSchema = z.object({
  BENCH_REPS: z.coerce.number().int().min(1).max(50).default(3),
  BENCH_STRICT: flag.default(false),
  BENCH_IMAGES: list(['large', 'many'] as const).default(['large', 'many']),
  BENCH_TOOLS: list(['ours', 'skopeo'] as const).default(['ours', 'skopeo']),
  /** Passed to ours as --jobs; unset keeps the tool's default. */
  BENCH_JOBS: z.coerce.number().int().min(1).max(64).optional(),
  /** Extra node flags for ours, space-separated (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). */
  BENCH_NODE_ARGS: z.string().default(''),
  /** Also time the bare floor (pipe and push, see floor-copy.ts). */
  BENCH_FLOOR: flag.default(true),
  BENCH_LARGE_LAYERS: z.coerce.number().int().min(1).max(64).default(8),
  BENCH_LAYER_MIB: z.coerce.number().int().min(1).max(1024).default(128),
  BENCH_MANY_LAYERS: z.coerce.number().int().min(1).max(2000).default(200),
  BENCH_MANY_LAYER_BYTES: z.coerce.number().int().min(1).max(1024 * 1024).default(4096),
  /** Where the one temp dir goes (default: the OS temp dir). */
  BENCH_TMPDIR: z.string().min(1).optional(),
});

export type BenchConfig = Readonly<{
  reps: number;
  strict: boolean;
  images: readonly ('large' | 'many')[];
  tools: readonly ('ours' | 'skopeo')[];
  jobs: number | undefined;
  nodeArgs: readonly string[];
  floor: boolean;
  largeLayers: number;
  layerMiB: number;
  manyLayers: number;
  manyLayerBytes: number;
  tmpBase: string;
}>;

export function loadBenchConfig(env: NodeJS.ProcessEnv): BenchConfig {
  const e = parseBenchEnv(env, envSchema);
  return Object.freeze({
    reps: e.BENCH_REPS,
    strict: e.BENCH_STRICT,
    images: e.BENCH_IMAGES,
    tools: e.BENCH_TOOLS,
    jobs: e.BENCH_JOBS,
    nodeArgs: e.BENCH_NODE_ARGS.split(/\s+/).filter((a) => a !== ''),
    floor: e.BENCH_FLOOR,
    largeLayers: e.BENCH_LARGE_LAYERS,
    layerMiB: e.BENCH_LAYER_MIB,
    manyLayers: e.BENCH_MANY_LAYERS,
    manyLayerBytes: e.BENCH_MANY_LAYER_BYTES,
    tmpBase: e.BENCH_TMPDIR ?? tmpdir(),
  });
}
