/**
 * The stand-in's RFC 6902 applier (all six operations, RFC 6901 pointers)
 * against the RFC's own appendix A examples and its error cases, and the
 * "semantic" equality that decides whether a patch changed the object.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jsonEqual, semanticEqual } from '../apiserver/json-equal.js';
import { applyJsonPatch, JsonPatchError } from '../apiserver/json-patch.js';

const test = suite('JSON patch');

// RFC 6902 appendix A: [document, patch, expected].
const good: [string, unknown, unknown[], unknown][] = [
  ['A.1 add an object member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { foo: 'bar', baz: 'qux' }],
  ['A.2 add an array element', { foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
  ['A.3 remove an object member', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
  ['A.4 remove an array element', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
  ['A.5 replace a value', { baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
  [
    'A.6 move a value',
    { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  ],
  ['A.7 move an array element', { foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }], { foo: ['all', 'cows', 'eat', 'grass'] }],
  [
    'A.8 test success',
    { baz: 'qux', foo: ['a', 2, 'c'] },
    [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }],
    { baz: 'qux', foo: ['a', 2, 'c'] },
  ],
  ['A.10 add a nested member object', { foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }], { foo: 'bar', child: { grandchild: {} } }],
  ['A.11 ignore unrecognised members', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }], { foo: 'bar', baz: 'qux' }],
  ['A.14 ~ escape ordering', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }], { '/': 9, '~1': 10 }],
  ['A.16 add an array value', { foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], { foo: ['bar', ['abc', 'def']] }],
  ['copy', { a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/c' }], { a: { b: 1 }, c: { b: 1 } }],
  ['replace the root', { a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }], { b: 2 }],
  ['escaped annotation key', { metadata: { annotations: {} } }, [{ op: 'add', path: '/metadata/annotations/a.io~1b', value: 'v' }], { metadata: { annotations: { 'a.io/b': 'v' } } }],
  ['test compares objects regardless of member order', { a: { x: 1, y: 2 } }, [{ op: 'test', path: '/a', value: { y: 2, x: 1 } }], { a: { x: 1, y: 2 } }],
];

for (const [name, document, patch, expected] of good) {
  test(name, () => {
    const before = structuredClone(document);
    assert.equal(applyJsonPatch(document, patch), expected);
    assert.equal(document, before, 'the input is not modified');
  });
}

const bad: [string, unknown, unknown[]][] = [
  ['A.9 test failure', { baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]],
  ['A.12 add to a nonexistent target', { foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]],
  ['A.13 invalid op', { foo: 'bar' }, [{ op: 'frob', path: '/foo' }]],
  ['A.15 test string vs number', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }]],
  ['remove a missing member', { a: 1 }, [{ op: 'remove', path: '/b' }]],
  ['replace a missing member', { a: 1 }, [{ op: 'replace', path: '/b', value: 2 }]],
  ['array index out of range', { a: [1] }, [{ op: 'add', path: '/a/2', value: 3 }]],
  ['leading zero index', { a: [1, 2] }, [{ op: 'replace', path: '/a/01', value: 3 }]],
  ['negative index (evanphx v4 allows it, RFC 6902 does not)', { a: [1, 2] }, [{ op: 'remove', path: '/a/-1' }]],
  ['add without value', { a: 1 }, [{ op: 'add', path: '/b' }]],
  ['path without leading slash', { a: 1 }, [{ op: 'add', path: 'b', value: 1 }]],
  ['move into its own child', { a: { b: {} } }, [{ op: 'move', from: '/a', path: '/a/b/c' }]],
  ['a failing op refuses the whole patch', { a: 1 }, [{ op: 'add', path: '/b', value: 2 }, { op: 'test', path: '/a', value: 0 }]],
  ['null operation', { a: 1 }, [null]],
];

for (const [name, document, patch] of bad) {
  test(name, () => {
    assert.throws(() => applyJsonPatch(document, patch), (error: unknown) => error instanceof JsonPatchError);
  });
}

test('jsonEqual and semanticEqual', () => {
  assert.ok(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }));
  assert.not.ok(jsonEqual({ a: [] }, {}));
  assert.not.ok(jsonEqual([1, 2], [2, 1]));
  // Typed decoding cannot tell an absent, null or empty list/map field apart.
  assert.ok(semanticEqual({ metadata: { labels: {} }, spec: { volumes: [] }, x: null }, { metadata: {}, spec: {} }));
  assert.not.ok(semanticEqual({ metadata: { labels: { a: '1' } } }, { metadata: {} }));
  assert.not.ok(semanticEqual({ image: 'a' }, { image: 'b' }));
});

test.run();
