/**
 * What `sync` shows: a live status line on a TTY (one line per finished
 * image above it), plain lines otherwise (CI logs), and the summary table.
 */
import { formatBytes, type ProgressSink } from '../cli/progress.js';
import type { ReferrerCounts } from '../mirror/copy-referrers.js';
import type { MirrorObserver } from '../mirror/image-mirror.js';

export type SyncStatus = 'copied' | 'present' | 'failed' | 'would copy';

export interface SyncRow {
  readonly image: string;
  readonly backup: string;
  readonly digest: string | undefined;
  readonly status: SyncStatus;
  readonly bytes: number;
  readonly ms: number;
  readonly reason?: string;
  /** Referrers copied with the image; absent when none were looked for (present image, dry run, --no-referrers). */
  readonly referrers?: ReferrerCounts;
  /** The first referrer that could not be copied, when `referrers.failed` > 0. */
  readonly referrerError?: string;
}

export type FinishedCopy = Parameters<NonNullable<MirrorObserver['onCopyFinished']>>[0];

/**
 * Observes the webhook's mirror (its onCopyStarted/onCopyFinished events)
 * and keeps each finished copy for the table.
 */
export function createSyncProgress(
  sink: ProgressSink,
  total: number,
  now: () => number = Date.now,
): MirrorObserver & { readonly finished: ReadonlyMap<string, FinishedCopy>; stop(): void } {
  const started = now();
  const finished = new Map<string, FinishedCopy>();
  let running = 0;
  let bytes = 0;
  const draw = (): void => {
    const seconds = ((now() - started) / 1000).toFixed(1);
    sink.write(`\r\x1b[2K[${finished.size}/${total}] ${running} copying  ${formatBytes(bytes)}  ${seconds} s`);
  };
  // A ticker keeps the elapsed time moving while a large image copies; unref'd, it holds nothing open.
  const ticker = sink.isTTY ? setInterval(draw, 250) : undefined;
  ticker?.unref();
  return {
    finished,
    onCopyStarted() {
      running += 1;
      if (sink.isTTY) draw();
    },
    onCopyFinished(event) {
      running = Math.max(0, running - 1);
      bytes += event.bytes;
      finished.set(event.source, event);
      const referrers = formatReferrers(event.referrers);
      const note = referrers === '-' || referrers === 'none' ? '' : `, referrers: ${referrers}`;
      const detail = event.outcome === 'failed' ? (event.error ?? 'failed') : `${formatBytes(event.bytes)}, ${(event.ms / 1000).toFixed(1)} s${note}`;
      const line = `${event.outcome} ${event.source} -> ${event.target} (${detail})`;
      if (sink.isTTY) {
        sink.write(`\r\x1b[2K${line}\n`);
        draw();
      } else {
        sink.write(`${line}\n`);
      }
    },
    stop() {
      if (ticker !== undefined) clearInterval(ticker);
      if (sink.isTTY) sink.write('\r\x1b[2K');
    },
  };
}

/**
 * `2 copied`, `1 copied, 1 failed`; `none` when looked for and none found,
 * `-` when not looked for.
 */
export function formatReferrers(counts: ReferrerCounts | undefined): string {
  if (counts === undefined) return '-';
  const parts = (['copied', 'present', 'failed'] as const).filter((key) => counts[key] > 0).map((key) => `${counts[key]} ${key}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

// REFERRERS last: its cells hold single spaces, and the columns before it keep their places.
const HEADERS = ['IMAGE', 'BACKUP', 'DIGEST', 'STATUS', 'BYTES', 'SECONDS', 'REFERRERS'] as const;

/** Columns padded to their widest cell, as `kubectl get` prints tables. */
export function formatSyncTable(rows: readonly SyncRow[]): string {
  const cells = rows.map((row) => [
    row.image,
    row.backup,
    row.digest ?? '-',
    row.status,
    String(row.bytes),
    (row.ms / 1000).toFixed(1),
    formatReferrers(row.referrers),
  ]);
  const widths = HEADERS.map((header, column) => Math.max(header.length, ...cells.map((line) => line[column]?.length ?? 0)));
  const format = (line: readonly string[]): string =>
    line.map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ');
  return [format(HEADERS), ...cells.map(format)].join('\n') + '\n';
}
