/** Log lines of a few milliseconds reach stdout in one write, in order; big batches and flush() do not wait. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FLUSH_DELAY_MS, MAX_PENDING_CHARS, createLineBatcher } from '../../src/server/line-batcher.js';

const test = suite('line batcher');

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS + 30));

test('lines are written together, in order, within FLUSH_DELAY_MS', async () => {
  const writes: string[] = [];
  const out = createLineBatcher((text) => void writes.push(text));
  out.write('a\n');
  await new Promise((resolve) => setImmediate(resolve));
  out.write('b\n');
  assert.equal(writes, [], 'nothing written at once');
  await settle();
  assert.equal(writes, ['a\nb\n']);
  out.write('c\n');
  await settle();
  assert.equal(writes, ['a\nb\n', 'c\n']);
});

test('a batch past MAX_PENDING_CHARS is written at once; flush() writes what is pending', () => {
  const writes: string[] = [];
  const scheduled: (() => void)[] = [];
  const out = createLineBatcher((text) => void writes.push(text), (flush) => void scheduled.push(flush));
  const big = `${'x'.repeat(MAX_PENDING_CHARS / 2)}\n`;
  out.write(big);
  out.write(big);
  assert.equal(writes, [big + big], 'written without waiting for the turn');
  out.write('tail\n');
  out.flush();
  assert.equal(writes, [big + big, 'tail\n']);
  for (const flush of scheduled) flush();
  assert.is(writes.length, 2, 'a scheduled flush with nothing pending writes nothing');
});

test('a write that throws (closed stdout) is swallowed and later lines still go out', () => {
  const writes: string[] = [];
  let fail = true;
  const out = createLineBatcher(
    (text) => {
      if (fail) throw new Error('EPIPE');
      writes.push(text);
    },
    () => {},
  );
  out.write('lost\n');
  out.flush();
  fail = false;
  out.write('kept\n');
  out.flush();
  assert.equal(writes, ['kept\n']);
});

test.run();
