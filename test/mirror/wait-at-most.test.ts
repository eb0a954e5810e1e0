import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { waitAtMost } from '../../src/mirror/wait-at-most.js';

const test = suite('waitAtMost');

test('true when the promise settles in time (fulfilled or rejected)', async () => {
  assert.is(await waitAtMost(Promise.resolve(1), 1_000), true);
  assert.is(await waitAtMost(Promise.reject(new Error('boom')), 1_000), true);
});

test('false at the bound, without waiting longer', async () => {
  const started = Date.now();
  assert.is(await waitAtMost(new Promise(() => undefined), 50), false);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 45 && elapsed < 500, `${elapsed} ms`);
});

test('a bound of zero or less does not wait', async () => {
  assert.is(await waitAtMost(new Promise(() => undefined), 0), false);
  assert.is(await waitAtMost(new Promise(() => undefined), -5), false);
});

test.run();
