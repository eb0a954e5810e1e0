/**
 * Streaming: the CLI's peak memory does not grow with layer size. Copies a
 * 16 MiB and a 256 MiB incompressible layer between real registries and
 * compares the peak RSS (VmHWM) of the two runs.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI_PATH, ensureBuiltCli } from '../helpers/built-cli.js';
import { lazyFixture } from '../helpers/fixture.js';
import { makeLargeImage, pushImage } from '../helpers/images.js';
import { startRegistry } from '../helpers/registry-server.js';
import { makeTempDir } from '../helpers/temp-dirs.js';

const source = lazyFixture(() => startRegistry({ auth: 'none' }), (r) => r.stop());
const target = lazyFixture(() => startRegistry({ auth: 'none' }), (r) => r.stop());
const dir = makeTempDir('copy-memory');

function peakKiB(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Runs the CLI, sampling its high-water mark until it exits. */
function copyMeasured(args: string[]): Promise<{ code: number | null; peakMiB: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let peak = 0;
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setInterval(() => {
      peak = Math.max(peak, peakKiB(child.pid ?? -1) ?? 0);
    }, 10);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code, peakMiB: peak / 1024, stderr });
    });
  });
}

const memory = suite('copy: memory does not grow with layer size');

memory('peak RSS for a 256 MiB layer stays within 32 MiB of a 16 MiB layer, and below 150 MiB', async () => {
  await ensureBuiltCli();
  const [src, dst] = [await source.get(), await target.get()];
  const peaks: number[] = [];
  for (const sizeMiB of [16, 256]) {
    const image = await makeLargeImage({ file: join(dir, `layer-${sizeMiB}.bin`), sizeMiB, format: 'oci', seed: sizeMiB });
    await pushImage(src, `big/${sizeMiB}`, 'v1', image);
    const run = await copyMeasured([
      'copy',
      `docker://${src.host}/big/${sizeMiB}:v1`,
      `docker://${dst.host}/big/${sizeMiB}:v1`,
      '--insecure',
      src.host,
      '--insecure',
      dst.host,
      '--json',
    ]);
    assert.is(run.code, 0, run.stderr);
    peaks.push(run.peakMiB);
  }
  const [small, large] = peaks as [number, number];
  console.log(`peak RSS: 16 MiB layer ${small.toFixed(1)} MiB, 256 MiB layer ${large.toFixed(1)} MiB`);
  assert.ok(small > 20, `sampled a real peak (${small.toFixed(1)} MiB)`);
  assert.ok(large - small < 32, `peak ${small.toFixed(1)} MiB -> ${large.toFixed(1)} MiB`);
  assert.ok(large < 150, `peak ${large.toFixed(1)} MiB`);
});

memory.after(async () => {
  await Promise.all([source.dispose(), target.dispose()]);
});
memory.run();
