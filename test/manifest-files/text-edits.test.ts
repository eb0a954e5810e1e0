/**
 * The in-place editor on the shapes the webhook's patch can meet, through
 * the whole `rewrite --no-pin` (so the ops are the planner's own): each case
 * gives the input and the exact expected output, byte for byte.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { applyTextEdits } from '../../src/manifest-files/text-edits.js';
import { runInProcess } from './manifest-harness.js';

const test = suite('text edits');
const B = 'b.test';
const NGINX = `${B}/docker.io/library/nginx:latest`;
const ANN = `image-cloner.io/original-images`;

async function rewrite(input: string, env: Record<string, string> = {}) {
  return runInProcess('rewrite', ['--no-pin', '--backup', B], { stdin: input, env });
}

const pod = (metadata: string, spec = '  containers:\n  - name: c\n    image: nginx\n') => `apiVersion: v1\nkind: Pod\n${metadata}spec:\n${spec}`;

const CASES: readonly { name: string; input: string; output: string; env?: Record<string, string> }[] = [
  {
    name: 'annotations present: the key is added after the last one',
    input: pod('metadata:\n  name: p\n  annotations:\n    a: "1"  # note\n'),
    output: pod(`metadata:\n  name: p\n  annotations:\n    a: "1"  # note\n    ${ANN}: '{"c":"nginx"}'\n`, `  containers:\n  - name: c\n    image: ${NGINX}\n`),
  },
  {
    name: 'annotations: with no value (null) gets a flow mapping',
    input: pod('metadata:\n  name: p\n  annotations:\n'),
    output: pod(`metadata:\n  name: p\n  annotations: {"${ANN}":"{\\"c\\":\\"nginx\\"}"}\n`, `  containers:\n  - name: c\n    image: ${NGINX}\n`),
  },
  {
    name: 'annotations: null is replaced',
    input: pod('metadata:\n  name: p\n  annotations: null\n'),
    output: pod(`metadata:\n  name: p\n  annotations: {"${ANN}":"{\\"c\\":\\"nginx\\"}"}\n`, `  containers:\n  - name: c\n    image: ${NGINX}\n`),
  },
  {
    name: 'an existing annotation of ours is replaced in place, in its own quoting',
    input: pod(`metadata:\n  name: p\n  annotations:\n    ${ANN}: "{}"\n    z: y\n`),
    output: pod(`metadata:\n  name: p\n  annotations:\n    ${ANN}: "{\\"c\\":\\"nginx\\"}"\n    z: y\n`, `  containers:\n  - name: c\n    image: ${NGINX}\n`),
  },
  {
    name: 'no metadata at all: added at the root, 4-space indentation followed',
    input: 'apiVersion: v1\nkind: Pod\nspec:\n    containers:\n        -   name: c\n            image: nginx',
    output: `apiVersion: v1\nkind: Pod\nspec:\n    containers:\n        -   name: c\n            image: ${NGINX}\nmetadata:\n  annotations:\n    ${ANN}: '{"c":"nginx"}'`,
  },
  {
    name: 'a block scalar image becomes a quoted one',
    input: pod('metadata:\n  name: p\n  annotations: {a: b}\n', '  containers:\n  - name: c\n    image: |-\n      nginx\n    tty: true\n'),
    output: pod(`metadata:\n  name: p\n  annotations: {a: b, "${ANN}": "{\\"c\\":\\"nginx\\"}"}\n`, `  containers:\n  - name: c\n    image: "${NGINX}"\n    tty: true\n`),
  },
  {
    name: 'IMAGE_PULL_SECRET into an empty flow list and a multi-line flow mapping',
    env: { IMAGE_PULL_SECRET: 'pull' },
    input: pod('metadata: {\n  name: p,\n  annotations: {}\n}\n', '  imagePullSecrets: []\n  containers: [{name: c, image: nginx}]\n'),
    output: pod(
      `metadata: {\n  name: p,\n  annotations: {"${ANN}": "{\\"c\\":\\"nginx\\"}"}\n}\n`,
      `  imagePullSecrets: [{"name":"pull"}]\n  containers: [{name: c, image: ${NGINX}}]\n`,
    ),
  },
];

for (const c of CASES) {
  test(c.name, async () => {
    const result = await rewrite(c.input, c.env);
    assert.is(result.code, 0, result.stderr);
    assert.fixture(result.stdout, c.output);
  });
}

test('an anchored image that another field aliases: refused, not silently changed', async () => {
  const input = pod('metadata:\n  name: p\n  labels:\n    img: *i\n', '  containers:\n  - name: c\n    image: &i nginx\n').replace(
    // The anchor must come before its alias in the document.
    /metadata:\n  name: p\n  labels:\n    img: \*i\nspec:\n  containers:\n  - name: c\n    image: &i nginx\n/,
    'spec:\n  containers:\n  - name: c\n    image: &i nginx\nmetadata:\n  name: p\n  labels:\n    img: *i\n',
  );
  const result = await rewrite(input);
  assert.is(result.code, 1);
  assert.is(result.stdout, '');
  assert.match(result.stderr, /cannot rewrite its images in place without changing other fields \[IC_ERR_BAD_INPUT\]/);
});

test('applyTextEdits: inserts at one offset keep the order of their ops', () => {
  assert.is(
    applyTextEdits('abc', [
      { start: 1, end: 1, text: 'X' },
      { start: 1, end: 1, text: 'Y' },
      { start: 2, end: 3, text: 'Z' },
    ]),
    'aXYbZ',
  );
});

test.run();
