/**
 * Human progress on stderr: a live one-line bar with bytes and rate on a
 * TTY, plain lines otherwise (CI logs, pipes).
 */
import type { Descriptor, RawManifest } from '../core/descriptor.js';
import type { ClonerError } from '../core/errors.js';
import type { CopyObserver } from '../mirror/copy-image.js';

export interface ProgressSink {
  readonly isTTY: boolean;
  write(text: string): void;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function shortDigest(digest: string): string {
  return digest.replace(/^(sha\d+:)([0-9a-f]{12})[0-9a-f]*$/, '$1$2');
}

export function createProgress(sink: ProgressSink, now: () => number = Date.now): CopyObserver & { finish(): void } {
  const started = now();
  let bytes = 0;
  let blobsDone = 0;
  let blobsSeen = 0;
  let lastDraw = 0;
  const draw = (force: boolean): void => {
    const t = now();
    if (!force && t - lastDraw < 100) return;
    lastDraw = t;
    const seconds = Math.max(0.001, (t - started) / 1000);
    sink.write(
      `\r\x1b[2Kblobs ${blobsDone}/${blobsSeen}  ${formatBytes(bytes)}  ${formatBytes(bytes / seconds)}/s  ${seconds.toFixed(1)} s`,
    );
  };
  const line = (text: string): void => {
    if (sink.isTTY) {
      sink.write(`\r\x1b[2K${text}\n`);
      draw(true);
    } else {
      sink.write(`${text}\n`);
    }
  };
  return {
    onBlobStart(_d: Descriptor) {
      blobsSeen++;
      if (sink.isTTY) draw(false);
    },
    onBlobBytes(n: number) {
      bytes += n;
      if (sink.isTTY) draw(false);
    },
    onBlobDone(d: Descriptor, outcome) {
      blobsDone++;
      if (sink.isTTY) draw(true);
      else line(`blob ${shortDigest(d.digest)} ${outcome} (${formatBytes(d.size)})`);
    },
    onManifestDone(m: RawManifest, outcome) {
      line(`manifest ${shortDigest(m.digest)} ${outcome}`);
    },
    onRetry(what: string, attempt: number, error: ClonerError) {
      line(`retrying ${what} after attempt ${attempt}: ${error.message}`);
    },
    finish() {
      if (sink.isTTY) sink.write('\r\x1b[2K');
    },
  };
}
