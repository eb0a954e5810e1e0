/**
 * One closed-loop load run with wrk against one server: `connections`
 * keep-alive HTTPS connections for `durationS` seconds, each sending the next
 * request as soon as the answer arrives. Besides wrk's figures it measures
 * the CPU time of the server, of wrk and of everything else on the machine
 * meanwhile: on 2 cores the three share the CPUs, so requests/s alone does
 * not tell whose work limited the run.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { runCommand } from '../test/helpers/processes.js';
import { readCpuMs, readMachineBusyMs, readReapedChildrenCpuMs } from './proc-stats.js';

export interface LoadTarget {
  readonly port: number;
  /** The server process, for its CPU time. */
  readonly pid: number;
}

export interface LoadOptions {
  readonly connections: number;
  readonly threads: number;
  readonly durationS: number;
  readonly bodyFile: string;
  /** Every request different (wrk-admission-distinct.lua); the body holds its marker. */
  readonly distinct?: boolean;
}

export interface LoadSample {
  readonly requests: number;
  readonly requestsPerS: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Socket errors, timeouts and non-2xx/3xx answers: any of them spoils the run. */
  readonly errors: number;
  readonly serverCpuMs: number;
  readonly wrkCpuMs: number;
  /** Busy CPU time of the machine not used by the server or wrk (the driver, kernel threads, others). */
  readonly otherCpuMs: number;
  readonly wallMs: number;
}

const SCRIPT = join(import.meta.dirname, 'wrk-admission.lua');
const DISTINCT_SCRIPT = join(import.meta.dirname, 'wrk-admission-distinct.lua');

const summarySchema = z.object({
  requests: z.number().int().min(0),
  durationUs: z.number().int().positive(),
  bytes: z.number().int().min(0),
  connectErrors: z.number().int().min(0),
  readErrors: z.number().int().min(0),
  writeErrors: z.number().int().min(0),
  statusErrors: z.number().int().min(0),
  timeouts: z.number().int().min(0),
  p50Us: z.number().min(0),
  p90Us: z.number().min(0),
  p99Us: z.number().min(0),
  maxUs: z.number().min(0),
  meanUs: z.number().min(0),
});

export async function runWrk(target: LoadTarget, options: LoadOptions): Promise<LoadSample> {
  const args = [
    `--threads=${Math.min(options.threads, options.connections)}`,
    `--connections=${options.connections}`,
    `--duration=${options.durationS}s`,
    // wrk's default of 2 s would count a slow cold answer as an error; the API server waits 10 s.
    '--timeout=10s',
    '--latency',
    `--script=${options.distinct === true ? DISTINCT_SCRIPT : SCRIPT}`,
    `https://127.0.0.1:${target.port}/mutate?timeout=10s`,
    '--',
    options.bodyFile,
  ];
  const serverBefore = readCpuMs(target.pid) ?? 0;
  const wrkBefore = readReapedChildrenCpuMs();
  const busyBefore = readMachineBusyMs();
  const started = performance.now();
  const result = await runCommand('wrk', args, { timeoutMs: (options.durationS + 30) * 1000 });
  const wallMs = performance.now() - started;
  const busyMs = readMachineBusyMs() - busyBefore;
  // runCommand waits for 'close', after Node reaped wrk: its CPU is in our cutime now.
  const wrkCpuMs = readReapedChildrenCpuMs() - wrkBefore;
  const serverAfter = readCpuMs(target.pid);
  if (serverAfter === undefined) throw new Error(`bench: the server (pid ${target.pid}) died during the load run`);
  const serverCpuMs = serverAfter - serverBefore;
  const out = result.stdout.toString('utf8');
  const line = /^WRK_JSON (.*)$/m.exec(out)?.[1];
  if (line === undefined) throw new Error(`bench: wrk printed no summary:\n${out}\n${result.stderr}`);
  const s = summarySchema.parse(JSON.parse(line));
  return {
    requests: s.requests,
    requestsPerS: s.requests / (s.durationUs / 1e6),
    p50Ms: s.p50Us / 1000,
    p90Ms: s.p90Us / 1000,
    p99Ms: s.p99Us / 1000,
    maxMs: s.maxUs / 1000,
    errors: s.connectErrors + s.readErrors + s.writeErrors + s.statusErrors + s.timeouts,
    serverCpuMs,
    wrkCpuMs,
    otherCpuMs: Math.max(0, busyMs - serverCpuMs - wrkCpuMs),
    wallMs,
  };
}

export async function wrkVersion(): Promise<string> {
  // wrk -v prints its version and exits 1 (no URL given).
  const out = await runCommand('sh', ['-c', 'wrk -v 2>&1 || true']).catch(() => undefined);
  return out?.stdout.toString('utf8').split('\n', 1)[0]?.trim() ?? 'unknown';
}
