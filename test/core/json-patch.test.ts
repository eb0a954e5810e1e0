import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  addOp,
  escapePointerToken,
  formatPointer,
  parsePointer,
  replaceOp,
  setAnnotationOps,
  testOp,
  unescapePointerToken,
} from '../../src/core/json-patch.js';
import type { AnnotationsState } from '../../src/core/json-patch.js';
import { applyPatch, PatchError } from './apply-patch.js';
import { valueAt } from './k8s-fixtures.js';

const pointer = suite('JSON Pointer (RFC 6901)');

const tokens: readonly [string, string][] = [
  ['spec', 'spec'],
  ['image-cloner.io/original-images', 'image-cloner.io~1original-images'],
  ['a~b', 'a~0b'],
  ['~1', '~01'], // escape "~" first, or "~1" would come back as "/"
  ['/~', '~1~0'],
  ['', ''],
];
for (const [raw, escaped] of tokens) {
  pointer(`token ${JSON.stringify(raw)}`, () => {
    assert.is(escapePointerToken(raw), escaped);
    assert.is(unescapePointerToken(escaped), raw);
  });
}

pointer('formatPointer and parsePointer', () => {
  assert.is(formatPointer([]), '');
  assert.is(formatPointer(['spec', 'containers', 0, 'image']), '/spec/containers/0/image');
  assert.is(formatPointer(['metadata', 'annotations', 'a/b']), '/metadata/annotations/a~1b');
  assert.equal(parsePointer('/metadata/annotations/a~1b'), ['metadata', 'annotations', 'a/b']);
  assert.equal(parsePointer(''), []);
  assert.equal(parsePointer('/'), ['']);
  assert.is(parsePointer('spec'), undefined);
});

// RFC 6901 section 5 examples.
pointer('RFC 6901 examples resolve with the test applier', () => {
  const doc = { foo: ['bar', 'baz'], '': 0, 'a/b': 1, 'c%d': 2, 'e^f': 3, 'g|h': 4, 'i\\j': 5, 'k"l': 6, ' ': 7, 'm~n': 8 };
  for (const [key, value] of Object.entries(doc)) {
    assert.not.throws(() => applyPatch(doc, [testOp(formatPointer([key]), value)]), key);
  }
});

const ops = suite('patch ops');

ops('builders', () => {
  assert.equal(addOp('/a', 1), { op: 'add', path: '/a', value: 1 });
  assert.equal(replaceOp('/a', 'x'), { op: 'replace', path: '/a', value: 'x' });
  assert.equal(testOp('/a', null), { op: 'test', path: '/a', value: null });
});

ops('a failing test refuses the whole patch, like the API server (500)', () => {
  assert.throws(() => applyPatch({ a: 1 }, [replaceOp('/a', 2), testOp('/a', 1)]), (e: unknown) => e instanceof PatchError);
});

const KEY = 'image-cloner.io/original-images';
const annotationCases: readonly { name: string; state: AnnotationsState; object: Record<string, unknown> }[] = [
  { name: 'no metadata', state: 'no-metadata', object: { spec: {} } },
  { name: 'no annotations', state: 'no-annotations', object: { metadata: { name: 'a' } } },
  { name: 'null annotations', state: 'no-annotations', object: { metadata: { name: 'a', annotations: null } } },
  { name: 'other annotations', state: 'present', object: { metadata: { annotations: { keep: 'me' } } } },
  { name: 'our annotation already', state: 'present', object: { metadata: { annotations: { [KEY]: 'old', keep: 'me' } } } },
];
for (const c of annotationCases) {
  ops(`annotation: ${c.name}`, () => {
    const patched = applyPatch(c.object, setAnnotationOps(c.state, KEY, '{"web":"nginx"}'));
    assert.is(valueAt(patched, `/metadata/annotations/${escapePointerToken(KEY)}`), '{"web":"nginx"}');
    if (valueAt(c.object, '/metadata/annotations/keep') !== undefined) assert.is(valueAt(patched, '/metadata/annotations/keep'), 'me');
  });
}

ops('the key of a present map is escaped', () => {
  assert.equal(setAnnotationOps('present', KEY, 'v'), [
    { op: 'add', path: '/metadata/annotations/image-cloner.io~1original-images', value: 'v' },
  ]);
  assert.equal(setAnnotationOps('no-annotations', KEY, 'v'), [{ op: 'add', path: '/metadata/annotations', value: { [KEY]: 'v' } }]);
});

pointer.run();
ops.run();
