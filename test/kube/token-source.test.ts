/**
 * The service account token is read from its file again: after the refresh
 * period (the kubelet rotates projected tokens), and at once when the API
 * server answers 401 with the cached one. A bad file gives an error that
 * does not quote it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isClonerError } from '../../src/core/errors.js';
import { FileTokenSource } from '../../src/kube/token-source.js';
import { lazyFixture } from '../helpers/fixture.js';
import { NAMESPACE, TOKEN, startKubeHarness } from '../helpers/kube-harness.js';
import { makeTempDir } from '../helpers/temp-dirs.js';

const file = suite('FileTokenSource');

file('caches for refreshMs, then reads the file again', async () => {
  const path = join(makeTempDir('token'), 'token');
  await writeFile(path, 'first\n');
  let now = 1_000;
  const tokens = new FileTokenSource({ file: path, refreshMs: 60_000, now: () => now });
  assert.is(await tokens.token(), 'first');
  await writeFile(path, 'second\n');
  now += 59_999;
  assert.is(await tokens.token(), 'first', 'still cached');
  now += 1;
  assert.is(await tokens.token(), 'second', 're-read after the refresh period');
});

file('invalidate() makes the next call read the file', async () => {
  const path = join(makeTempDir('token'), 'token');
  await writeFile(path, 'first');
  const tokens = new FileTokenSource({ file: path, now: () => 0 });
  assert.is(await tokens.token(), 'first');
  await writeFile(path, 'second');
  assert.is(await tokens.token(), 'first');
  tokens.invalidate();
  assert.is(await tokens.token(), 'second');
});

file('concurrent callers share one read', async () => {
  let reads = 0;
  const tokens = new FileTokenSource({
    file: 'x',
    readFile: async () => {
      reads += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return 'shared';
    },
  });
  const all = await Promise.all([tokens.token(), tokens.token(), tokens.token()]);
  assert.equal(all, ['shared', 'shared', 'shared']);
  assert.is(reads, 1);
});

for (const [label, content] of [
  ['empty', '  \n'],
  ['two words', 'secret-one secret-two'],
] as const) {
  file(`a file that is ${label} is IC_ERR_KUBE without its content in the message`, async () => {
    const tokens = new FileTokenSource({ file: '/mounted/token', readFile: async () => content });
    try {
      await tokens.token();
      assert.unreachable('should fail');
    } catch (error) {
      assert.ok(isClonerError(error));
      assert.is(error.code, 'IC_ERR_KUBE');
      assert.match(error.message, /\/mounted\/token/);
      assert.not.match(error.message, /secret-one/);
    }
  });
}

file('a missing file names the file and the errno', async () => {
  const tokens = new FileTokenSource({ file: join(makeTempDir('token'), 'absent') });
  try {
    await tokens.token();
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isClonerError(error));
    assert.match(error.message, /absent: ENOENT/);
  }
});
file.run();

const harness = lazyFixture(startKubeHarness, (h) => h.close());
const rotated = suite('token rotation against the API stand-in');
rotated.after(() => harness.dispose());

rotated('after the kubelet rotates the token, a 401 makes the client read the file again and succeed', async () => {
  const h = await harness.get();
  h.api.putSecret(NAMESPACE, { metadata: { name: 'rotating' }, data: {} });
  const kube = h.client();
  await kube.getSecret(NAMESPACE, 'rotating');
  // The kubelet writes a new token; the old one stops being accepted.
  await writeFile(h.tokenFile, 'token-two\n');
  h.api.acceptTokens(['token-two']);
  const before = h.api.requests.length;
  const read = await kube.getSecret(NAMESPACE, 'rotating');
  assert.is(read.metadata.name, 'rotating');
  const sent = h.api.requests.slice(before).map((r) => [r.token, r.status]);
  assert.equal(sent, [
    [TOKEN, 401],
    ['token-two', 200],
  ]);
});

rotated('a token the server keeps refusing is IC_ERR_UNAUTHORIZED after one re-read, without the token in it', async () => {
  const h = await harness.get();
  await writeFile(h.tokenFile, 'token-three\n');
  h.api.acceptTokens(['something-else']);
  const before = h.api.requests.length;
  try {
    await h.client().getSecret(NAMESPACE, 'rotating');
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isClonerError(error));
    assert.is(error.code, 'IC_ERR_UNAUTHORIZED');
    assert.not.match(error.message, /token-three/);
  }
  assert.is(h.api.requests.length - before, 2, 'one retry with a freshly read token, no more');
});
rotated.run();
