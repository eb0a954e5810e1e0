/**
 * Benchmark results: samples per image and contender, medians, the table
 * printed per image, and the target checks.
 */

export type Contender = 'ours' | 'skopeo' | 'floor-pipe' | 'floor-push';

export interface Sample {
  readonly ms: number;
  /** undefined for the in-process floors, which have no process of their own. */
  readonly peakRssMiB: number | undefined;
  readonly toolCpuMs: number;
  readonly sourceRegistryCpuMs: number;
  readonly destinationRegistryCpuMs: number;
  /** CPU time that processes outside the bench used meanwhile: noise in `ms`. */
  readonly otherCpuMs: number;
}

export interface ImageResults {
  readonly title: string;
  readonly samples: ReadonlyMap<Contender, readonly Sample[]>;
}

export interface Target {
  readonly label: string;
  readonly pass: boolean;
  readonly detail: string;
}

export const TARGETS = { largeRatio: 0.85, manyRatio: 0.6, peakRssMiB: 150 } as const;

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function medianOf(samples: readonly Sample[], pick: (s: Sample) => number | undefined): number | undefined {
  const values = samples.flatMap((s) => {
    const v = pick(s);
    return v === undefined ? [] : [v];
  });
  return values.length === 0 ? undefined : median(values);
}

/** ours/skopeo wall time of each repetition (the two ran back to back, under the same load). */
function runRatios(results: ImageResults): number[] {
  const ours = results.samples.get('ours') ?? [];
  const skopeo = results.samples.get('skopeo') ?? [];
  return ours.flatMap((o, i) => {
    const s = skopeo[i];
    return s === undefined ? [] : [o.ms / s.ms];
  });
}

/**
 * The ratio the targets are checked against: the median of the per-run
 * ratios. Pairing each run of ours with the skopeo run next to it cancels
 * load that drifts over the bench (other work on a shared machine), which a
 * ratio of the two medians does not. Undefined unless both ran.
 */
export function ratioOf(results: ImageResults): number | undefined {
  const ratios = runRatios(results);
  return ratios.length === 0 ? undefined : median(ratios);
}

function cell(value: number | undefined, digits: number, width: number): string {
  return (value === undefined ? '-' : value.toFixed(digits)).padStart(width);
}

export function formatImageTable(results: ImageResults): string {
  const header = `${'median'.padEnd(12)}${'wall ms'.padStart(10)}${'(min)'.padStart(8)}${'peak RSS MiB'.padStart(14)}` +
    `${'CPU s tool'.padStart(12)}${'CPU s src reg'.padStart(15)}${'CPU s dst reg'.padStart(15)}${'CPU s others'.padStart(14)}`;
  const lines = [`== ${results.title} ==`, header];
  for (const [contender, samples] of results.samples) {
    if (samples.length === 0) continue;
    lines.push(
      contender.padEnd(12) +
        cell(medianOf(samples, (s) => s.ms), 0, 10) +
        // The fastest run: on a shared machine, noise only ever adds time.
        cell(Math.min(...samples.map((s) => s.ms)), 0, 8) +
        cell(medianOf(samples, (s) => s.peakRssMiB), 1, 14) +
        cell(medianOf(samples, (s) => s.toolCpuMs / 1000), 2, 12) +
        cell(medianOf(samples, (s) => s.sourceRegistryCpuMs / 1000), 2, 15) +
        cell(medianOf(samples, (s) => s.destinationRegistryCpuMs / 1000), 2, 15) +
        cell(medianOf(samples, (s) => s.otherCpuMs / 1000), 2, 14),
    );
  }
  const ratio = ratioOf(results);
  const oursMs = medianOf(results.samples.get('ours') ?? [], (s) => s.ms);
  const skopeoMs = medianOf(results.samples.get('skopeo') ?? [], (s) => s.ms);
  if (ratio !== undefined && oursMs !== undefined && skopeoMs !== undefined) {
    const perRun = runRatios(results).map((r) => r.toFixed(2)).join(' ');
    lines.push(`ratio ours/skopeo ${ratio.toFixed(2)} (median of per-run ratios: ${perRun}; ratio of medians ${(oursMs / skopeoMs).toFixed(2)})`);
  }
  // Total CPU (tool and both registries) barely moves with outside load, unlike wall time.
  const total = (s: Sample): number => s.toolCpuMs + s.sourceRegistryCpuMs + s.destinationRegistryCpuMs;
  const oursCpu = medianOf(results.samples.get('ours') ?? [], total);
  const skopeoCpu = medianOf(results.samples.get('skopeo') ?? [], total);
  if (oursCpu !== undefined && skopeoCpu !== undefined) {
    lines.push(`CPU ratio ours/skopeo ${(oursCpu / skopeoCpu).toFixed(2)} (tool + both registries: ` +
      `${(oursCpu / 1000).toFixed(2)} s vs ${(skopeoCpu / 1000).toFixed(2)} s)`);
  }
  return lines.join('\n');
}

export function checkTargets(large: ImageResults | undefined, many: ImageResults | undefined): Target[] {
  const targets: Target[] = [];
  const ratioTarget = (label: string, results: ImageResults | undefined, limit: number): void => {
    const ratio = results === undefined ? undefined : ratioOf(results);
    if (ratio === undefined) targets.push({ label, pass: false, detail: 'not measured' });
    else targets.push({ label, pass: ratio <= limit, detail: ratio.toFixed(2) });
  };
  ratioTarget(`large image ratio <= ${TARGETS.largeRatio}`, large, TARGETS.largeRatio);
  ratioTarget(`many-layer ratio <= ${TARGETS.manyRatio}`, many, TARGETS.manyRatio);
  // The worst run of ours, not a median: a limit on memory must hold every time.
  const peaks = [large, many].flatMap((r) => (r?.samples.get('ours') ?? []).flatMap((s) => (s.peakRssMiB === undefined ? [] : [s.peakRssMiB])));
  const worst = peaks.length === 0 ? undefined : Math.max(...peaks);
  targets.push({
    label: `peak RSS < ${TARGETS.peakRssMiB} MiB`,
    pass: worst !== undefined && worst < TARGETS.peakRssMiB,
    detail: worst === undefined ? 'not measured' : `ours, worst run ${worst.toFixed(1)} MiB`,
  });
  return targets;
}

export function formatTargets(targets: readonly Target[]): string {
  return targets.map((t) => `${t.label}: ${t.pass ? 'PASS' : 'FAIL'} (${t.detail})`).join('\n');
}
