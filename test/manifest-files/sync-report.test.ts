/**
 * What `sync` shows: the live TTY line and plain lines from the mirror's
 * events, the summary table, and how -f inputs are read.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ClonerError } from '../../src/core/errors.js';
import { joinOutputs } from '../../src/manifest-files/manifest-command.js';
import { readManifestInputs, readStream } from '../../src/manifest-files/read-manifest-inputs.js';
import { createSyncProgress, formatSyncTable } from '../../src/manifest-files/sync-report.js';
import { makeTempDir } from '../helpers/temp-dirs.js';

const test = suite('sync report and inputs');

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, sink: { isTTY, write: (text: string) => void writes.push(text) } };
}

const event = (source: string, outcome: 'copied' | 'present' | 'failed', bytes: number) => ({
  sourceRegistry: 'r.example',
  source,
  target: `b.example/${source}`,
  outcome,
  bytes,
  ms: 1500,
  ...(outcome === 'failed' ? { error: 'r.example/x:1: manifest unknown' } : {}),
});

test('TTY: a live status line redrawn in place, finished images printed above it', () => {
  const { writes, sink: s } = sink(true);
  let now = 0;
  const progress = createSyncProgress(s, 2, () => now);
  progress.onCopyStarted?.('r.example');
  progress.onCopyStarted?.('r.example');
  now = 2_000;
  progress.onCopyFinished?.(event('r.example/a:1', 'copied', 2048));
  progress.stop();
  const text = writes.join('');
  assert.ok(text.includes('\r\x1b[2K[0/2] 2 copying  0 B  0.0 s'), text);
  assert.ok(text.includes('\r\x1b[2Kcopied r.example/a:1 -> b.example/r.example/a:1 (2.0 KiB, 1.5 s)\n'), text);
  assert.ok(text.includes('\r\x1b[2K[1/2] 1 copying  2.0 KiB  2.0 s'), text);
  assert.ok(text.endsWith('\r\x1b[2K'), 'the status line is cleared at the end');
  assert.equal([...progress.finished.keys()], ['r.example/a:1']);
});

test('not a TTY: one plain line per finished image, no control characters', () => {
  const { writes, sink: s } = sink(false);
  const progress = createSyncProgress(s, 2);
  progress.onCopyStarted?.('r.example');
  progress.onCopyFinished?.(event('r.example/a:1', 'present', 0));
  progress.onCopyFinished?.(event('r.example/x:1', 'failed', 0));
  progress.stop();
  assert.equal(writes, [
    'present r.example/a:1 -> b.example/r.example/a:1 (0 B, 1.5 s)\n',
    'failed r.example/x:1 -> b.example/r.example/x:1 (r.example/x:1: manifest unknown)\n',
  ]);
});

test('the table: a header, columns padded to the widest cell', () => {
  const table = formatSyncTable([
    { image: 'r.example/a:1', backup: 'b.example/r.example/a:1', digest: 'sha256:abc', status: 'copied', bytes: 2048, ms: 1234, referrers: { copied: 2, present: 0, failed: 0 } },
    { image: 'r.example/long/name:2', backup: 'b/x', digest: undefined, status: 'failed', bytes: 0, ms: 0, reason: 'x' },
    { image: 'r.example/c:3', backup: 'b/c', digest: 'sha256:c', status: 'copied', bytes: 9, ms: 50, referrers: { copied: 1, present: 2, failed: 1 } },
    { image: 'r.example/d:4', backup: 'b/d', digest: 'sha256:d', status: 'copied', bytes: 9, ms: 50, referrers: { copied: 0, present: 0, failed: 0 } },
  ]);
  assert.is(
    table,
    'IMAGE                  BACKUP                   DIGEST      STATUS  BYTES  SECONDS  REFERRERS\n' +
      'r.example/a:1          b.example/r.example/a:1  sha256:abc  copied  2048   1.2      2 copied\n' +
      'r.example/long/name:2  b/x                      -           failed  0      0.0      -\n' +
      'r.example/c:3          b/c                      sha256:c    copied  9      0.1      1 copied, 2 present, 1 failed\n' +
      'r.example/d:4          b/d                      sha256:d    copied  9      0.1      none\n',
  );
});

test('the progress line names referrers only when there were some', () => {
  const { writes, sink: s } = sink(false);
  const progress = createSyncProgress(s, 3);
  progress.onCopyFinished?.({ ...event('r.example/a:1', 'copied', 1024), referrers: { copied: 1, present: 0, failed: 1 }, referrerError: 'boom' });
  progress.onCopyFinished?.({ ...event('r.example/b:1', 'copied', 1024), referrers: { copied: 0, present: 0, failed: 0 } });
  progress.onCopyFinished?.(event('r.example/c:1', 'present', 0));
  progress.stop();
  assert.equal(writes, [
    'copied r.example/a:1 -> b.example/r.example/a:1 (1.0 KiB, 1.5 s, referrers: 1 copied, 1 failed)\n',
    'copied r.example/b:1 -> b.example/r.example/b:1 (1.0 KiB, 1.5 s)\n',
    'present r.example/c:1 -> b.example/r.example/c:1 (0 B, 1.5 s)\n',
  ]);
  assert.equal(progress.finished.get('r.example/a:1')?.referrers, { copied: 1, present: 0, failed: 1 });
});

test('inputs: standard input read once however often named; directories in name order; extensions', async () => {
  const dir = makeTempDir('manifest-inputs');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'b.json'), '{}');
  writeFileSync(join(dir, 'a.yaml'), 'a: 1\n');
  writeFileSync(join(dir, 'c.txt'), 'no');
  writeFileSync(join(dir, 'sub', 'd.yml'), 'd: 1\n');
  let reads = 0;
  const stdin = async () => {
    reads += 1;
    return 'from: stdin\n';
  };
  const inputs = await readManifestInputs(['-', dir, '-'], { recursive: false, stdin });
  assert.equal(inputs.map((i) => i.name), ['-', join(dir, 'a.yaml'), join(dir, 'b.json')]);
  assert.is(reads, 1);
  const deep = await readManifestInputs([dir], { recursive: true, stdin });
  assert.equal(deep.map((i) => i.name), [join(dir, 'a.yaml'), join(dir, 'b.json'), join(dir, 'sub', 'd.yml')]);
  // A file named explicitly is read whatever its extension.
  assert.is((await readManifestInputs([join(dir, 'c.txt')], { recursive: false, stdin }))[0]?.text, 'no');
  assert.is(await readStream(Readable.from([Buffer.from('a: '), 'b\n'])), 'a: b\n');
  try {
    await readManifestInputs([join(dir, 'nope.yaml')], { recursive: false, stdin });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, ClonerError);
    assert.is((error as ClonerError).code, 'IC_ERR_USAGE');
  }
});

test('joinOutputs: one input as is; several as one stream', () => {
  assert.is(joinOutputs(['{"a":1}']), '{"a":1}');
  assert.is(joinOutputs(['a: 1', 'b: 2\n', '---\nc: 3\n']), 'a: 1\n---\nb: 2\n---\nc: 3\n');
});

test.run();
