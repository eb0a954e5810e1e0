/**
 * Reading the soak's /proc samples (soak-proc.ts): RSS before the load, at
 * its middle (after warm-up), the highest of the second half and at the
 * end; descriptors before, at the peak and once the clients have gone; and
 * the lines both the bench and the suite print.
 */
import type { ProcSample } from './soak-proc.js';
import type { SoakResult } from './soak-load.js';

export interface SoakSummary {
  readonly before: ProcSample;
  readonly middle: ProcSample;
  readonly secondHalfMaxRssKiB: number;
  readonly end: ProcSample;
  readonly peak: ProcSample;
  /** After the load, once every client connection has closed. */
  readonly idle: ProcSample;
  /** RSS growth over the second half of the load. */
  readonly rssGrowthKiB: number;
  /** Descriptors that are not TCP connections (files, pipes, the listener), before and after. */
  readonly otherFds: { readonly before: number; readonly after: number };
}

const others = (s: ProcSample): number => s.fds - s.inbound - s.outbound;

export function summarize(before: ProcSample, samples: readonly ProcSample[], idle: ProcSample): SoakSummary {
  const half = Math.floor(samples.length / 2);
  const middle = samples[half] ?? before;
  const secondHalfMaxRssKiB = Math.max(middle.rssKiB, ...samples.slice(half).map((s) => s.rssKiB));
  return {
    before,
    middle,
    secondHalfMaxRssKiB,
    end: samples.at(-1) ?? before,
    peak: samples.reduce((m, s) => (s.fds > m.fds ? s : m), before),
    idle,
    rssGrowthKiB: secondHalfMaxRssKiB - middle.rssKiB,
    otherFds: { before: others(before), after: others(idle) },
  };
}

export function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}

export function formatResult(r: SoakResult): string {
  return (
    `${r.admissions} admissions in ${r.ms} ms (${r.perSecond}/s), errors ${r.errors}, kept ${r.kept}, ` +
    `herds ${r.herds}, ${r.images.size} distinct images; latency p50 ${r.latencyMs.p50} p90 ${r.latencyMs.p90} ` +
    `p99 ${r.latencyMs.p99} max ${r.latencyMs.max} ms`
  );
}

/** RSS and descriptors over time, one entry per `every`-th sample (and the last). */
export function formatTimeline(samples: readonly ProcSample[], every: number): string {
  return samples
    .filter((_, i) => i % every === 0 || i === samples.length - 1)
    .map((s) => `${(s.atMs / 1000).toFixed(0)}s ${mib(s.rssKiB)} ${s.fds} fds`)
    .join(', ');
}

export function formatSummary(s: SoakSummary): string {
  return (
    `RSS before ${mib(s.before.rssKiB)}, middle ${mib(s.middle.rssKiB)}, second-half max ${mib(s.secondHalfMaxRssKiB)}, ` +
    `end ${mib(s.end.rssKiB)} (growth over the second half ${mib(s.rssGrowthKiB)}); fds before ${s.before.fds} ` +
    `(${s.before.outbound} to registries), peak ${s.peak.fds} (${s.peak.inbound} clients, ${s.peak.outbound} to registries), ` +
    `after ${s.idle.fds} (${s.idle.inbound} clients, ${s.idle.outbound} to registries); non-socket fds ${s.otherFds.before} -> ${s.otherFds.after}`
  );
}
