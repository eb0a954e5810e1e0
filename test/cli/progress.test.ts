import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createProgress, formatBytes } from '../../src/cli/progress.js';

const desc = (n: number): { mediaType: string; digest: string; size: number } => ({
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  size: 2 * 1024 * 1024,
});

function sink(isTTY: boolean): { isTTY: boolean; write(t: string): void; text(): string } {
  let out = '';
  return { isTTY, write: (t: string) => void (out += t), text: () => out };
}

const progress = suite('progress');

progress('formatBytes', () => {
  assert.is(formatBytes(0), '0 B');
  assert.is(formatBytes(1023), '1023 B');
  assert.is(formatBytes(1536), '1.5 KiB');
  assert.is(formatBytes(3 * 1024 ** 3), '3.0 GiB');
});

progress('a terminal gets one live line with blobs, bytes and rate, redrawn in place', () => {
  let t = 0;
  const out = sink(true);
  const p = createProgress(out, () => t);
  p.onBlobStart?.(desc(1));
  p.onBlobStart?.(desc(2));
  t = 1000;
  p.onBlobBytes?.(2 * 1024 * 1024);
  t = 2000;
  p.onBlobDone?.(desc(1), 'uploaded');
  const text = out.text();
  const last = text.slice(text.lastIndexOf('\r'));
  assert.is(last, '\r\x1b[2Kblobs 1/2  2.0 MiB  1.0 MiB/s  2.0 s');
  assert.not.ok(text.includes('\n'), 'no scrolling lines for blobs on a terminal');
  p.finish();
  assert.ok(out.text().endsWith('\r\x1b[2K'), 'the live line is cleared at the end');
});

progress('redraws are throttled to one per 100 ms', () => {
  let t = 0;
  const out = sink(true);
  const p = createProgress(out, () => t);
  p.onBlobStart?.(desc(1));
  const before = out.text().split('\r').length;
  for (let i = 0; i < 50; i++) p.onBlobBytes?.(10);
  assert.is(out.text().split('\r').length, before, 'no redraw within 100 ms');
  t = 150;
  p.onBlobBytes?.(10);
  assert.is(out.text().split('\r').length, before + 1);
});

progress('a pipe gets plain lines, no control characters', () => {
  const out = sink(false);
  const p = createProgress(out, () => 0);
  p.onBlobStart?.(desc(1));
  p.onBlobBytes?.(100);
  p.onBlobDone?.(desc(1), 'skipped');
  p.onManifestDone?.({ bytes: new Uint8Array(), mediaType: 'x', digest: `sha256:${'a'.repeat(64)}` }, 'pushed');
  p.finish();
  assert.is(out.text(), `blob sha256:111111111111 skipped (2.0 MiB)\nmanifest sha256:aaaaaaaaaaaa pushed\n`);
});

progress.run();
