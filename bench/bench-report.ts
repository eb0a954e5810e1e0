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

/** Median wall time of ours divided by skopeo's; undefined unless both ran. */
export function ratioOf(results: ImageResults): number | undefined {
  const ours = medianOf(results.samples.get('ours') ?? [], (s) => s.ms);
  const skopeo = medianOf(results.samples.get('skopeo') ?? [], (s) => s.ms);
  return ours === undefined || skopeo === undefined ? undefined : ours / skopeo;
}

/** Per-repetition ratios, to show how stable the median is. */
function runRatios(results: ImageResults): string {
  const ours = results.samples.get('ours') ?? [];
  const skopeo = results.samples.get('skopeo') ?? [];
  return ours.flatMap((o, i) => (skopeo[i] === undefined ? [] : [(o.ms / skopeo[i].ms).toFixed(2)])).join(' ');
}

function cell(value: number | undefined, digits: number, width: number): string {
  return (value === undefined ? '-' : value.toFixed(digits)).padStart(width);
}

export function formatImageTable(results: ImageResults): string {
  const header = `${'median'.padEnd(12)}${'wall ms'.padStart(10)}${'peak RSS MiB'.padStart(14)}` +
    `${'CPU s tool'.padStart(12)}${'CPU s src reg'.padStart(15)}${'CPU s dst reg'.padStart(15)}`;
  const lines = [`== ${results.title} ==`, header];
  for (const [contender, samples] of results.samples) {
    if (samples.length === 0) continue;
    lines.push(
      contender.padEnd(12) +
        cell(medianOf(samples, (s) => s.ms), 0, 10) +
        cell(medianOf(samples, (s) => s.peakRssMiB), 1, 14) +
        cell(medianOf(samples, (s) => s.toolCpuMs / 1000), 2, 12) +
        cell(medianOf(samples, (s) => s.sourceRegistryCpuMs / 1000), 2, 15) +
        cell(medianOf(samples, (s) => s.destinationRegistryCpuMs / 1000), 2, 15),
    );
  }
  const ratio = ratioOf(results);
  if (ratio !== undefined) lines.push(`ratio ours/skopeo ${ratio.toFixed(2)} (per run: ${runRatios(results)})`);
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
