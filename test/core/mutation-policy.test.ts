import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isClonerError } from '../../src/core/errors.js';
import { parseMutationPolicy } from '../../src/core/mutation-policy.js';
import type { MutationPolicyInput } from '../../src/core/mutation-policy.js';

const policy = suite('parseMutationPolicy');

policy('defaults: nested layout, pinned digests, not strict, the default annotation key', () => {
  const got = parseMutationPolicy({ registry: 'localhost:5001' });
  assert.equal(got.naming, { registry: 'localhost:5001', layout: 'nested' });
  assert.equal(got.alsoKnownAs, []);
  assert.equal(got.exclude.patterns, []);
  assert.is(got.pinDigests, true);
  assert.is(got.strict, false);
  assert.is(got.annotationKey, 'image-cloner.io/original-images');
  assert.ok(Object.isFrozen(got));
});

policy('aliases are normalized (the Kind push endpoint given as a URL)', () => {
  const got = parseMutationPolicy({ registry: 'localhost:5001', alsoKnownAs: ['http://Kind-Registry:5000/'] });
  assert.equal(got.alsoKnownAs, ['kind-registry:5000']);
});

const goodKeys = ['image-cloner.io/original-images', 'example.com/a_b.c-d', 'originals', 'a.b/C'];
for (const annotationKey of goodKeys) {
  policy(`annotation key ${annotationKey} accepted`, () => {
    assert.is(parseMutationPolicy({ registry: 'localhost:5001', annotationKey }).annotationKey, annotationKey);
  });
}

const bad: readonly [string, MutationPolicyInput][] = [
  ['annotation key with two slashes', { registry: 'localhost:5001', annotationKey: 'a/b/c' }],
  ['annotation key with an uppercase prefix', { registry: 'localhost:5001', annotationKey: 'Example.com/x' }],
  ['annotation name over 63 characters', { registry: 'localhost:5001', annotationKey: `x/${'a'.repeat(64)}` }],
  ['empty annotation key', { registry: 'localhost:5001', annotationKey: '' }],
  ['alias that is no registry host', { registry: 'localhost:5001', alsoKnownAs: ['kind-registry'] }],
  ['bad exclude pattern', { registry: 'localhost:5001', exclude: ['nginx'] }],
  ['bad registry', { registry: 'nope' }],
];
for (const [name, input] of bad) {
  policy(`refuses: ${name}`, () => {
    try {
      parseMutationPolicy(input);
      assert.unreachable();
    } catch (error) {
      assert.ok(isClonerError(error) && error.code === 'IC_ERR_BAD_CONFIG', String(error));
    }
  });
}

policy('reports every problem at once', () => {
  try {
    parseMutationPolicy({ registry: 'nope', exclude: ['nginx'], alsoKnownAs: ['x'], annotationKey: 'a/b/c' });
    assert.unreachable();
  } catch (error) {
    assert.ok(isClonerError(error));
    for (const part of [/backup registry "nope"/, /exclude pattern "nginx"/, /alias "x"/, /annotation key "a\/b\/c"/]) {
      assert.match(error.message, part);
    }
  }
});

policy.run();
