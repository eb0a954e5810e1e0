/**
 * Runs one command to completion and measures it: wall time from spawn to
 * exit, peak RSS (VmHWM polled while it runs; the value only grows, so a
 * poll every few ms misses at most the growth of the last interval) and CPU
 * time. The child is a managed process (test/helpers/processes.ts), so it
 * dies with the bench on Ctrl-C or a crash.
 */
import { spawnManaged } from '../test/helpers/processes.js';
import { readPeakRssKiB, readReapedChildrenCpuMs } from './proc-stats.js';

export interface Measurement {
  readonly ms: number;
  readonly peakRssMiB: number;
  readonly cpuMs: number;
}

export interface MeasureOptions {
  readonly name: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly pollMs?: number;
}

export async function measureCommand(
  command: string,
  args: readonly string[],
  options: MeasureOptions,
): Promise<Measurement> {
  const cpuBefore = readReapedChildrenCpuMs();
  const started = performance.now();
  const child = spawnManaged(command, args, {
    name: options.name,
    ...(options.env === undefined ? {} : { env: options.env }),
    maxOutputBytes: 64 * 1024,
  });
  let peakKiB = 0;
  const poll = (): void => {
    const kib = readPeakRssKiB(child.pid);
    if (kib !== undefined && kib > peakKiB) peakKiB = kib;
  };
  poll();
  const poller = setInterval(poll, options.pollMs ?? 10);
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    void child.stop();
  }, options.timeoutMs);
  const info = await child.exited;
  const ms = performance.now() - started;
  clearInterval(poller);
  clearTimeout(deadline);
  // Node reaps the child before emitting 'exit', so its CPU time is in our cutime now.
  const cpuMs = readReapedChildrenCpuMs() - cpuBefore;
  if (timedOut || info.code !== 0) {
    const why = timedOut ? `timed out after ${options.timeoutMs} ms` : `exited with ${String(info.code ?? info.signal)}`;
    throw new Error(`${options.name} ${why}; output:\n${child.output()}`);
  }
  return { ms, peakRssMiB: peakKiB / 1024, cpuMs };
}
