import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TIMEOUT_MARGIN_MS, computeDeadline, parseGoDuration } from '../../src/server/admission-deadline.js';

const duration = suite('parseGoDuration');

duration('what the API server sends, and other Go durations', () => {
  const cases: readonly [string, number | undefined][] = [
    ['10s', 10_000],
    ['30s', 30_000],
    ['1s', 1_000],
    ['9.5s', 9_500],
    ['1m0s', 60_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['1500us', 1.5],
    ['0', 0],
    ['', undefined],
    ['10', undefined],
    ['s', undefined],
    ['10 s', undefined],
    ['-1s', undefined],
    ['10sx', undefined],
    ['1d', undefined],
    [`${'9'.repeat(40)}s`, undefined],
  ];
  for (const [input, expected] of cases) assert.is(parseGoDuration(input), expected, input);
});

const deadline = suite('computeDeadline');

deadline('min(budget, timeout - margin), never before now', () => {
  assert.is(TIMEOUT_MARGIN_MS, 1_500);
  assert.is(computeDeadline(1_000, 7_000, null), 8_000);
  assert.is(computeDeadline(1_000, 7_000, '10s'), 8_000);
  assert.is(computeDeadline(1_000, 7_000, '5s'), 4_500);
  assert.is(computeDeadline(1_000, 7_000, '1s'), 1_000);
  assert.is(computeDeadline(1_000, 7_000, 'nonsense'), 8_000);
  assert.is(computeDeadline(1_000, 0, '30s'), 1_000);
});

duration.run();
deadline.run();
