import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ClonerError } from '../../src/core/errors.js';
import { describeFailure } from '../../src/mirror/failure-reason.js';

const test = suite('describeFailure');

test('a ClonerError gives its message', () => {
  assert.is(describeFailure(new ClonerError('IC_ERR_NOT_FOUND', 'r.example/app:1: manifest unknown')), 'r.example/app:1: manifest unknown');
});

test('one line, trimmed', () => {
  assert.is(describeFailure(new ClonerError('IC_ERR_REGISTRY', '  a\n  b\tc  ')), 'a b c');
});

test('userinfo in a URL is removed', () => {
  const reason = describeFailure(new ClonerError('IC_ERR_REGISTRY', 'GET https://bob:s3cret@r.example/v2/ failed'));
  assert.not.match(reason, /s3cret|bob/);
  assert.match(reason, 'https://r.example/v2/');
});

test('bounded', () => {
  const reason = describeFailure(new ClonerError('IC_ERR_REGISTRY', 'x'.repeat(5_000)));
  assert.is(reason.length, 300);
  assert.ok(reason.endsWith('...'));
});

test('anything else is an unexpected error', () => {
  assert.is(describeFailure(new TypeError('boom')), 'unexpected error: boom');
  assert.is(describeFailure('boom'), 'unexpected error: boom');
});

test.run();
