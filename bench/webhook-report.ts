/**
 * Webhook benchmark results: paired load runs (ours and the bare server back
 * to back, same connections, same generator), the tables, and the target
 * checks of issue 3.
 */
import type { LogLevel } from '../src/server/logger.js';
import { median } from './bench-report.js';
import type { Target } from './bench-report.js';
import type { LoadSample } from './wrk-run.js';

export const WEBHOOK_TARGETS = { throughputRatio: 0.7, p99Ratio: 1.5, coldP50Ms: 30 } as const;

/** Above this much CPU (% of a core) used by others during a run, its wall-clock figures are flagged. */
const NOISY_OTHER_PCT = 20;

function cpuPerRequest(s: LoadSample): number {
  return s.serverCpuMs / Math.max(1, s.requests);
}

/** One repetition at one connection count: the bare server and ours, measured back to back. */
export interface PairedRun {
  readonly logLevel: LogLevel;
  readonly connections: number;
  readonly bare: LoadSample;
  readonly ours: LoadSample;
}

export interface ColdResults {
  /** Client-side latency of each admission, in order, ms. */
  readonly clientMs: readonly number[];
  /** The `ms` of each admission log line (body parsed to answer ready), ms. */
  readonly serverMs: readonly number[];
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: a value that was measured, never an interpolation.
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

function runsOf(runs: readonly PairedRun[], logLevel: LogLevel, connections: number): PairedRun[] {
  return runs.filter((r) => r.logLevel === logLevel && r.connections === connections);
}

/** Median of the per-run ratios: pairing each run of ours with the bare run next to it cancels drifting load. */
function pairedRatio(runs: readonly PairedRun[], pick: (s: LoadSample) => number): number | undefined {
  return runs.length === 0 ? undefined : median(runs.map((r) => pick(r.ours) / pick(r.bare)));
}

export function throughputRatio(runs: readonly PairedRun[], logLevel: LogLevel, connections: number): number | undefined {
  return pairedRatio(runsOf(runs, logLevel, connections), (s) => s.requestsPerS);
}

export function p99Ratio(runs: readonly PairedRun[], logLevel: LogLevel, connections: number): number | undefined {
  return pairedRatio(runsOf(runs, logLevel, connections), (s) => s.p99Ms);
}

const COLUMNS: readonly [string, number][] = [
  ['server', 22], ['conns', 6], ['req/s', 9], ['p50 ms', 8], ['p90 ms', 8], ['p99 ms', 8], ['max ms', 8],
  ['CPU us/req', 11], ['server %cpu', 12], ['wrk %cpu', 9], ['other %cpu', 11], ['errors', 7],
];

function row(cells: readonly string[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(COLUMNS[i]?.[1] ?? 0) : c.padStart(COLUMNS[i]?.[1] ?? 0))).join('');
}

function sampleRow(label: string, connections: number, samples: readonly LoadSample[]): string {
  const m = (pick: (s: LoadSample) => number): number => median(samples.map(pick));
  // %cpu: of one core over the run's wall time (100 = one core busy all along; the machine has 2).
  const pct = (pick: (s: LoadSample) => number): string => m((s) => (100 * pick(s)) / s.wallMs).toFixed(0);
  return row([
    label,
    String(connections),
    m((s) => s.requestsPerS).toFixed(0),
    m((s) => s.p50Ms).toFixed(2),
    m((s) => s.p90Ms).toFixed(2),
    m((s) => s.p99Ms).toFixed(2),
    m((s) => s.maxMs).toFixed(1),
    m((s) => 1000 * cpuPerRequest(s)).toFixed(0),
    pct((s) => s.serverCpuMs),
    pct((s) => s.wrkCpuMs),
    pct((s) => s.otherCpuMs),
    String(samples.reduce((sum, s) => sum + s.errors, 0)),
  ]);
}

export function formatLoadTable(title: string, runs: readonly PairedRun[], logLevels: readonly LogLevel[], connections: readonly number[]): string {
  const lines = [`== ${title} ==`, row(COLUMNS.map(([name]) => name))];
  for (const logLevel of logLevels) {
    for (const conns of connections) {
      const paired = runsOf(runs, logLevel, conns);
      if (paired.length === 0) continue;
      lines.push(sampleRow(`bare (next to ${logLevel})`, conns, paired.map((r) => r.bare)));
      lines.push(sampleRow(`ours LOG_LEVEL=${logLevel}`, conns, paired.map((r) => r.ours)));
    }
  }
  for (const logLevel of logLevels) {
    for (const conns of connections) {
      const paired = runsOf(runs, logLevel, conns);
      if (paired.length === 0) continue;
      const each = paired.map((r) => `${(r.ours.requestsPerS / r.bare.requestsPerS).toFixed(2)}/${(r.ours.p99Ms / r.bare.p99Ms).toFixed(2)}`);
      // Both servers are CPU-bound on one core: the inverse ratio of their CPU per request is what their
      // throughputs would be on a quiet machine, and moves far less than req/s when other work shares the CPUs.
      const cpu = median(paired.map((r) => cpuPerRequest(r.bare) / cpuPerRequest(r.ours)));
      lines.push(`ours/bare at ${conns} conns, LOG_LEVEL=${logLevel}: req/s ${throughputRatio(runs, logLevel, conns)?.toFixed(2)}, ` +
        `p99 ${p99Ratio(runs, logLevel, conns)?.toFixed(2)}, CPU/req bare/ours ${cpu.toFixed(2)} ` +
        `(medians of per-run ratios; each run req/s/p99: ${each.join(' ')})`);
    }
  }
  const busiest = Math.max(...runs.flatMap((r) => [r.bare, r.ours]).map((s) => (100 * s.otherCpuMs) / s.wallMs));
  if (busiest > NOISY_OTHER_PCT) {
    lines.push(`NOTE: other processes used up to ${busiest.toFixed(0)}% of a core during a run: req/s and latencies are ` +
      'disturbed; the CPU/req ratio much less so.');
  }
  return lines.join('\n');
}

export function formatCold(title: string, cold: ColdResults): string {
  const stats = (values: readonly number[]): string =>
    `p50 ${percentile(values, 50).toFixed(2)}  p90 ${percentile(values, 90).toFixed(2)}  max ${Math.max(...values).toFixed(2)}`;
  return [
    `== ${title} ==`,
    `client ms (HTTPS keep-alive): ${stats(cold.clientMs)}  (first ${cold.clientMs[0]?.toFixed(2)})`,
    `server ms (admission log):    ${cold.serverMs.length === 0 ? '-' : stats(cold.serverMs)}`,
  ].join('\n');
}

export function checkWebhookTargets(
  runs: readonly PairedRun[],
  logLevels: readonly LogLevel[],
  throughputConnections: number,
  latencyConnections: number,
  cold: ColdResults | undefined,
): Target[] {
  const targets: Target[] = [];
  for (const logLevel of logLevels) {
    const tr = throughputRatio(runs, logLevel, throughputConnections);
    targets.push({
      label: `LOG_LEVEL=${logLevel}: req/s ours/bare at ${throughputConnections} conns >= ${WEBHOOK_TARGETS.throughputRatio}`,
      pass: tr !== undefined && tr >= WEBHOOK_TARGETS.throughputRatio,
      detail: tr === undefined ? 'not measured' : tr.toFixed(2),
    });
    const pr = p99Ratio(runs, logLevel, latencyConnections);
    targets.push({
      label: `LOG_LEVEL=${logLevel}: p99 ours/bare at ${latencyConnections} conns <= ${WEBHOOK_TARGETS.p99Ratio}`,
      pass: pr !== undefined && pr <= WEBHOOK_TARGETS.p99Ratio,
      detail: pr === undefined ? 'not measured' : pr.toFixed(2),
    });
  }
  const coldP50 = cold === undefined ? undefined : percentile(cold.clientMs, 50);
  targets.push({
    label: `cold path p50 < ${WEBHOOK_TARGETS.coldP50Ms} ms`,
    pass: coldP50 !== undefined && coldP50 < WEBHOOK_TARGETS.coldP50Ms,
    detail: coldP50 === undefined ? 'not measured' : `${coldP50.toFixed(2)} ms (client side)`,
  });
  return targets;
}
