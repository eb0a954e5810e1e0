import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ResultCache } from '../../src/mirror/result-cache.js';

const test = suite('ResultCache');
const ready = (digest: string) => ({ status: 'ready', digest }) as const;

test('an entry is valid strictly before its expiry, then dropped', () => {
  const cache = new ResultCache(10);
  cache.set('a', ready('sha256:1'), 1_000);
  assert.equal(cache.get('a', 999), ready('sha256:1'));
  assert.is(cache.get('a', 1_000), undefined);
  assert.is(cache.size, 0, 'the expired entry is gone');
});

test('Infinity never expires', () => {
  const cache = new ResultCache(10);
  cache.set('a', ready('sha256:1'), Infinity);
  assert.equal(cache.get('a', Number.MAX_SAFE_INTEGER), ready('sha256:1'));
});

test('a failure is cached like any outcome', () => {
  const cache = new ResultCache(10);
  cache.set('a', { status: 'failed', reason: 'nope' }, 10);
  assert.equal(cache.get('a', 0), { status: 'failed', reason: 'nope' });
});

test('bounded: the least recently used entry goes first', () => {
  const cache = new ResultCache(2);
  cache.set('a', ready('sha256:a'), Infinity);
  cache.set('b', ready('sha256:b'), Infinity);
  cache.get('a', 0); // a is now the most recently used
  cache.set('c', ready('sha256:c'), Infinity);
  assert.is(cache.size, 2);
  assert.is(cache.get('b', 0), undefined);
  assert.ok(cache.get('a', 0) !== undefined);
  assert.ok(cache.get('c', 0) !== undefined);
});

test('setting a key again replaces it without growing', () => {
  const cache = new ResultCache(2);
  cache.set('a', ready('sha256:1'), Infinity);
  cache.set('a', ready('sha256:2'), Infinity);
  assert.is(cache.size, 1);
  assert.equal(cache.get('a', 0), ready('sha256:2'));
});

test.run();
