/**
 * Benchmark: `image-cloner copy` against `skopeo copy` between two real
 * registries on loopback (see bench/copy.sh for how to run it).
 *
 * Fairness: every measured copy goes to a fresh, empty destination registry
 * (started for that run, stopped after it); the order of the two tools
 * alternates between repetitions; an unmeasured warm-up copy comes first;
 * dirty pages are flushed before each run so one run's disk writes do not
 * land on the next; the result is the median of BENCH_REPS runs. Every copy is checked: the destination serves the
 * source's manifest digest and media type.
 */
import { existsSync } from 'node:fs';
import { rm, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchManifest } from '../test/helpers/images.js';
import { runCommand } from '../test/helpers/processes.js';
import { startRegistry } from '../test/helpers/registry-server.js';
import type { TestRegistry } from '../test/helpers/registry-server.js';
import { loadBenchConfig } from './bench-config.js';
import { makeBenchDir } from './bench-setup.js';
import type { BenchConfig } from './bench-config.js';
import { buildLargeImage, buildManyLayerImage } from './bench-images.js';
import type { BenchImage, BenchImageName } from './bench-images.js';
import { checkTargets, formatImageTable, formatTargets } from './bench-report.js';
import type { Contender, ImageResults, Sample } from './bench-report.js';
import { floorCopy } from './floor-copy.js';
import { measureCommand } from './measure-command.js';
import { readCpuMs, readMachineBusyMs } from './proc-stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const GIB = 1024 ** 3;
const RUN_TIMEOUT_MS = 300_000;

function log(text: string): void {
  process.stderr.write(`${text}\n`);
}

interface Context {
  readonly config: BenchConfig;
  readonly dir: string;
  readonly source: TestRegistry;
}


async function checkFreeDisk(path: string, needed: number): Promise<void> {
  const fs = await statfs(path);
  const free = fs.bavail * fs.bsize;
  if (free < needed) {
    throw new Error(`bench: ${path} has ${(free / GIB).toFixed(1)} GiB free, the bench needs ${(needed / GIB).toFixed(1)} GiB`);
  }
}

function sourceRef(ctx: Context, image: BenchImage): string {
  return `docker://${ctx.source.host}/${image.repo}:${image.tag}`;
}

interface Measured {
  readonly ms: number;
  readonly peakRssMiB: number | undefined;
  /** undefined for the in-process floors: their CPU is the driver's. */
  readonly cpuMs: number | undefined;
}

async function measureContender(ctx: Context, contender: Contender, image: BenchImage, destination: TestRegistry): Promise<Measured> {
  const { config } = ctx;
  const destRef = `docker://${destination.host}/${image.repo}:${image.tag}`;
  switch (contender) {
    case 'ours': {
      const jobs = config.jobs === undefined ? [] : ['--jobs', String(config.jobs)];
      const args = [...config.nodeArgs, CLI, 'copy', sourceRef(ctx, image), destRef,
        '--insecure', ctx.source.host, '--insecure', destination.host, ...jobs];
      return measureCommand(process.execPath, args, { name: 'image-cloner', timeoutMs: RUN_TIMEOUT_MS });
    }
    case 'skopeo': {
      // --insecure-policy: no dependence on /etc/containers/policy.json; an
      // auth file that does not exist keeps this machine's credentials out.
      const args = ['--insecure-policy', 'copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false',
        sourceRef(ctx, image), destRef];
      const env = { ...process.env, REGISTRY_AUTH_FILE: join(ctx.dir, 'no-auth.json') };
      return measureCommand('skopeo', args, { name: 'skopeo', env, timeoutMs: RUN_TIMEOUT_MS });
    }
    case 'floor-pipe':
    case 'floor-push': {
      const ms = await floorCopy({
        mode: contender === 'floor-pipe' ? 'pipe' : 'push',
        image: image.image,
        sourceUrl: ctx.source.url,
        destinationUrl: destination.url,
        repo: image.repo,
        tag: image.tag,
        jobs: config.jobs ?? 8,
      });
      return { ms, peakRssMiB: undefined, cpuMs: undefined };
    }
  }
}

/** One measured copy into a fresh, empty destination registry, checked afterwards. */
async function runContender(ctx: Context, contender: Contender, image: BenchImage): Promise<Sample> {
  const destination = await startRegistry();
  try {
    await runCommand('sync', []);
    const srcCpu = readCpuMs(ctx.source.pid) ?? 0;
    const dstCpu = readCpuMs(destination.pid) ?? 0;
    const busy = readMachineBusyMs();
    const driverCpu = process.cpuUsage();
    const measured = await measureContender(ctx, contender, image, destination);
    const busyMs = readMachineBusyMs() - busy;
    const driver = process.cpuUsage(driverCpu);
    const driverMs = (driver.user + driver.system) / 1000;
    const sourceRegistryCpuMs = (readCpuMs(ctx.source.pid) ?? 0) - srcCpu;
    const destinationRegistryCpuMs = (readCpuMs(destination.pid) ?? 0) - dstCpu;
    const ownMs = sourceRegistryCpuMs + destinationRegistryCpuMs + driverMs + (measured.cpuMs ?? 0);
    const sample: Sample = {
      ms: measured.ms,
      peakRssMiB: measured.peakRssMiB,
      toolCpuMs: measured.cpuMs ?? driverMs,
      sourceRegistryCpuMs,
      destinationRegistryCpuMs,
      otherCpuMs: Math.max(0, busyMs - ownMs),
    };
    await verifyCopy(destination, image, contender);
    return sample;
  } finally {
    await destination.stop();
  }
}

async function verifyCopy(registry: TestRegistry, image: BenchImage, contender: Contender): Promise<void> {
  const got = await fetchManifest(registry, image.repo, image.tag);
  const want = image.image.manifest;
  if (got.digest !== want.digest || got.contentType !== want.mediaType) {
    throw new Error(
      `bench: ${contender} copied ${image.name} wrong: destination serves ${got.digest} (${got.contentType}), ` +
        `source has ${want.digest} (${want.mediaType})`,
    );
  }
}

function describeSample(s: Sample): string {
  const rss = s.peakRssMiB === undefined ? '' : `, peak RSS ${s.peakRssMiB.toFixed(1)} MiB`;
  return `${s.ms.toFixed(0)} ms${rss}, CPU ${(s.toolCpuMs / 1000).toFixed(2)} s ` +
    `(src reg ${(s.sourceRegistryCpuMs / 1000).toFixed(2)} s, dst reg ${(s.destinationRegistryCpuMs / 1000).toFixed(2)} s; ` +
    `others on the machine ${(s.otherCpuMs / 1000).toFixed(2)} s)`;
}

async function buildImages(ctx: Context): Promise<BenchImage[]> {
  const { config } = ctx;
  const images: BenchImage[] = [];
  for (const name of config.images) {
    const started = performance.now();
    const image = name === 'large'
      ? await buildLargeImage(ctx.source, ctx.dir, { layers: config.largeLayers, layerMiB: config.layerMiB, format: 'oci' })
      : await buildManyLayerImage(ctx.source, { layers: config.manyLayers, layerBytes: config.manyLayerBytes, format: 'docker' });
    const served = await fetchManifest(ctx.source, image.repo, image.tag);
    if (served.digest !== image.image.manifest.digest) throw new Error(`bench: source serves ${name} as ${served.digest}`);
    log(`built and pushed ${name} (${image.image.layers.length} layers, ${(image.bytes / 1024 ** 2).toFixed(1)} MiB) ` +
      `in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    images.push(image);
  }
  return images;
}

function titleOf(config: BenchConfig, image: BenchImage): string {
  const layers = image.image.layers.length;
  const size = image.bytes >= GIB ? `${(image.bytes / GIB).toFixed(2)} GiB` : `${(image.bytes / 1024 ** 2).toFixed(2)} MiB`;
  const what = image.name === 'large' ? `large image: ${layers} x ${config.layerMiB} MiB incompressible gzip layers`
    : `many-layer image: ${layers} layers of ~${(config.manyLayerBytes / 1024).toFixed(0)} KiB`;
  return `${what} (${size}, ${image.image.format}); median of ${config.reps} run(s)`;
}

type Results = Map<BenchImageName, Map<Contender, Sample[]>>;

async function runRepetitions(ctx: Context, images: readonly BenchImage[]): Promise<Results> {
  const { config } = ctx;
  const results: Results = new Map(images.map((image) => [image.name, new Map<Contender, Sample[]>()]));
  for (let rep = 0; rep < config.reps; rep++) {
    // Alternate which tool goes first, so neither always meets the warmer caches.
    const tools: Contender[] = rep % 2 === 0 ? [...config.tools] : [...config.tools].reverse();
    const runs: Contender[] = [...tools, ...(config.floor ? (['floor-pipe', 'floor-push'] as const) : [])];
    for (const image of images) {
      const byContender = results.get(image.name) ?? new Map<Contender, Sample[]>();
      for (const contender of runs) {
        const sample = await runContender(ctx, contender, image);
        log(`[run ${rep + 1}/${config.reps}] ${image.name} ${contender}: ${describeSample(sample)}`);
        byContender.set(contender, [...(byContender.get(contender) ?? []), sample]);
      }
    }
  }
  return results;
}

/** Prints the tables and target lines; true when every target is met. */
async function printReport(config: BenchConfig, images: readonly BenchImage[], results: Results): Promise<boolean> {
  const rows: Contender[] = ['ours', 'skopeo', 'floor-pipe', 'floor-push'];
  const tables = new Map<BenchImageName, ImageResults>();
  for (const image of images) {
    const byContender = results.get(image.name);
    const samples = new Map(rows.flatMap((c) => {
      const s = byContender?.get(c);
      return s === undefined ? [] : [[c, s] as const];
    }));
    tables.set(image.name, { title: titleOf(config, image), samples });
  }
  const settings = `ours: node ${[...config.nodeArgs, 'dist/cli.js'].join(' ')} copy` +
    `${config.jobs === undefined ? ' (default --jobs)' : ` --jobs ${config.jobs}`}; skopeo ${await skopeoVersion()}`;
  process.stdout.write(`\n${settings}\n\n`);
  for (const table of tables.values()) process.stdout.write(`${formatImageTable(table)}\n\n`);
  process.stdout.write('CPU s others: CPU the rest of the machine used meanwhile (other processes, and kernel threads\n' +
    'such as disk writeback); well above 0, wall times are disturbed: compare the CPU ratio and (min).\n\n');
  const targets = checkTargets(tables.get('large'), tables.get('many'));
  process.stdout.write(`${formatTargets(targets)}\n`);
  return targets.every((t) => t.pass);
}

async function main(): Promise<number> {
  const config = loadBenchConfig(process.env);
  if (!existsSync(CLI)) throw new Error(`bench: ${CLI} is missing; run "npm run build" first`);
  // Layer files + source storage + one destination's storage, and a margin.
  const largeBytes = config.images.includes('large') ? config.largeLayers * config.layerMiB * 1024 ** 2 : 0;
  await checkFreeDisk(config.tmpBase, 3 * largeBytes + GIB);
  const dir = makeBenchDir(config.tmpBase, 'image-cloner-bench');
  const source = await startRegistry();
  try {
    const ctx: Context = { config, dir, source };
    const images = await buildImages(ctx);
    // Warm-up, not measured: the first ~1 GiB a fresh destination writes
    // costs its registry seconds of extra system time (first touch of page
    // cache memory on this VM), which would land on whichever tool ran first.
    for (const image of images) {
      const warm = await runContender(ctx, 'floor-pipe', image);
      log(`warm-up ${image.name}: ${describeSample(warm)}`);
    }
    const results = await runRepetitions(ctx, images);
    const passed = await printReport(config, images, results);
    return config.strict && !passed ? 1 : 0;
  } finally {
    await source.stop();
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

async function skopeoVersion(): Promise<string> {
  const out = await runCommand('skopeo', ['--version']).catch(() => undefined);
  return out?.stdout.toString('utf8').trim().replace(/^skopeo version /, '') ?? 'unknown';
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
