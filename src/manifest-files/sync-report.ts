/**
 * What `sync` shows: a live status line on a TTY (one line per finished
 * image above it), plain lines otherwise (CI logs), and the summary table.
 */
import { formatBytes, type ProgressSink } from '../cli/progress.js';
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
      const detail = event.outcome === 'failed' ? (event.error ?? 'failed') : `${formatBytes(event.bytes)}, ${(event.ms / 1000).toFixed(1)} s`;
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

const HEADERS = ['IMAGE', 'BACKUP', 'DIGEST', 'STATUS', 'BYTES', 'SECONDS'] as const;

/** Columns padded to their widest cell, as `kubectl get` prints tables. */
export function formatSyncTable(rows: readonly SyncRow[]): string {
  const cells = rows.map((row) => [
    row.image,
    row.backup,
    row.digest ?? '-',
    row.status,
    String(row.bytes),
    (row.ms / 1000).toFixed(1),
  ]);
  const widths = HEADERS.map((header, column) => Math.max(header.length, ...cells.map((line) => line[column]?.length ?? 0)));
  const format = (line: readonly string[]): string =>
    line.map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ');
  return [format(HEADERS), ...cells.map(format)].join('\n') + '\n';
}
