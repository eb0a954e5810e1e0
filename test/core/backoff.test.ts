import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { computeBackoffMs, parseRetryAfterMs, type BackoffPolicy } from '../../src/core/backoff.js';

const policy: BackoffPolicy = { baseMs: 100, maxMs: 1000, maxAttempts: 5 };
const backoff = suite('computeBackoffMs');

const cases: Array<[attempt: number, random: number, expected: number]> = [
  [1, 0, 50],
  [1, 0.999, 99],
  [2, 0, 100],
  [3, 0.5, 300],
  [4, 0, 400],
  [5, 0, 500], // capped at maxMs: half fixed, half jitter
  [10, 0.999, 999],
];
for (const [attempt, random, expected] of cases) {
  backoff(`attempt ${attempt}, random ${random} -> ${expected} ms`, () => {
    assert.is(computeBackoffMs(attempt, policy, random), expected);
  });
}
backoff('never exceeds the cap', () => {
  for (let a = 1; a < 60; a++) assert.ok(computeBackoffMs(a, policy, 0.9999) <= policy.maxMs);
});
backoff.run();

const retryAfter = suite('parseRetryAfterMs');
const now = Date.parse('2026-11-24T12:00:00Z');
const rows: Array<[string | undefined, number | undefined]> = [
  [undefined, undefined],
  ['0', 0],
  ['3', 3000],
  [' 12 ', 12000],
  ['120', 30000],
  ['Tue, 24 Nov 2026 12:00:05 GMT', 5000],
  ['Tue, 24 Nov 2026 11:00:00 GMT', 0],
  ['soon', undefined],
  ['-1', undefined],
  ['1.5', undefined],
];
for (const [value, expected] of rows) {
  retryAfter(`${String(value)} -> ${String(expected)}`, () => {
    assert.is(parseRetryAfterMs(value, now, 30_000), expected);
  });
}
retryAfter.run();
