/**
 * The warning recorder's limits (CLUSTER-NOTES 1.8, item 20; apiserver
 * endpoints/filters/warning.go): dedup, whole texts up to 4096 runes in
 * total, then everything cut to 256 runes and the rest dropped once 4096
 * runes are written; 299 header quoting.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createWarningRecorder, formatWarningHeader, ITEM_RUNES, TOTAL_RUNES } from '../apiserver/warning-recorder.js';

const test = suite('warning recorder');

test('dedup and order; empty and control-character texts are dropped', () => {
  const r = createWarningRecorder();
  for (const text of ['a', 'b', 'a', '', 'bad\nline', 'c']) r.add(text);
  assert.equal(r.texts(), ['a', 'b', 'c']);
  assert.equal(r.headers(), ['299 - "a"', '299 - "b"', '299 - "c"']);
});

test('header quoting escapes quotes and backslashes', () => {
  assert.is(formatWarningHeader('say "hi" \\o/'), '299 - "say \\"hi\\" \\\\o/"');
});

test('long texts pass whole while the total fits', () => {
  const r = createWarningRecorder();
  const long = 'x'.repeat(1000);
  r.add(long);
  assert.equal(r.texts(), [long]);
});

test('overflowing 4096 runes truncates all to 256, then drops the rest', () => {
  const r = createWarningRecorder();
  const texts = Array.from({ length: 30 }, (_, i) => `${String(i).padStart(2, '0')}${'w'.repeat(998)}`);
  for (const text of texts) r.add(text);
  const out = r.texts();
  assert.ok(out.every((t) => Array.from(t).length <= ITEM_RUNES), 'each cut to 256 runes');
  const total = out.reduce((sum, t) => sum + Array.from(t).length, 0);
  assert.ok(total <= TOTAL_RUNES + ITEM_RUNES, `total ${total}`);
  assert.ok(out.length < texts.length, 'later warnings are dropped');
  assert.is(out.length, 16, '5 replayed + 11 more until 4096 runes are written');
  assert.is(out[0], texts[0]?.slice(0, ITEM_RUNES));
});

test('truncation counts runes, not UTF-16 units', () => {
  const r = createWarningRecorder();
  r.add('é'.repeat(4000));
  r.add('😀'.repeat(300));
  const [first, second] = r.texts();
  assert.is(Array.from(first ?? '').length, ITEM_RUNES);
  assert.is(Array.from(second ?? '').length, ITEM_RUNES);
  assert.is(second, '😀'.repeat(ITEM_RUNES));
});

test.run();
