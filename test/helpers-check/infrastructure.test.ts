/**
 * Proves the real-peer helpers: the real registry in each mode (plain,
 * TLS + htpasswd, TLS + token), pushes by our independent peer read back
 * byte-exact, and skopeo agreeing on every digest.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, request } from 'undici';
import { lazyFixture } from '../helpers/fixture.js';
import {
  blobExists,
  fetchManifest,
  makeSimpleImage,
  makeTwoPlatformIndex,
  MEDIA_TYPES,
  pushImage,
} from '../helpers/images.js';
import { runningManagedPids } from '../helpers/processes.js';
import { startRegistry } from '../helpers/registry-server.js';
import type { RegistryAuth, TestRegistry } from '../helpers/registry-server.js';
import { hasSkopeo, skopeoCopy, skopeoEndpointFor, skopeoInspectRaw } from '../helpers/skopeo.js';

const startedPids: number[] = [];
const startedRoots: string[] = [];

async function getV2(registry: TestRegistry): Promise<{ status: number; challenge: string | undefined }> {
  const dispatcher = new Agent({ connect: registry.caPem === undefined ? {} : { ca: registry.caPem } });
  try {
    const res = await request(`${registry.url}/v2/`, { dispatcher });
    await res.body.dump();
    const header = res.headers['www-authenticate'];
    return { status: res.statusCode, challenge: Array.isArray(header) ? header.join(', ') : header };
  } finally {
    await dispatcher.close();
  }
}

const MODES: readonly { name: string; tls: boolean; auth: RegistryAuth }[] = [
  { name: 'plain', tls: false, auth: 'none' },
  { name: 'tls+htpasswd', tls: true, auth: 'htpasswd' },
  { name: 'tls+token', tls: true, auth: 'token' },
];

for (const mode of MODES) {
  const test = suite(`registry ${mode.name}`);
  const registry = lazyFixture(
    async () => {
      const started = Date.now();
      const r = await startRegistry({ tls: mode.tls, auth: mode.auth });
      startedPids.push(r.pid);
      startedRoots.push(r.rootDir);
      // "Well under a second" is a promise to every integration test.
      assert.ok(Date.now() - started < 3_000, `start took ${Date.now() - started} ms`);
      return r;
    },
    (r) => r.stop(),
  );
  test.after(() => registry.dispose());

  test('GET /v2/ without credentials', async () => {
    const r = await registry.get();
    const { status, challenge } = await getV2(r);
    switch (mode.auth) {
      case 'none':
        assert.is(status, 200);
        break;
      case 'htpasswd':
        assert.is(status, 401);
        assert.is(challenge, 'Basic realm="image-cloner-test"');
        break;
      case 'token':
        assert.is(status, 401);
        assert.is(challenge, `Bearer realm="${r.tokenServer?.realm ?? ''}",service="image-cloner-test-registry"`);
        break;
    }
    assert.is(r.url.startsWith(mode.tls ? 'https://127.0.0.1:' : 'http://127.0.0.1:'), true);
    assert.is(r.host, `127.0.0.1:${r.port}`);
  });

  test('a two-platform OCI index round-trips byte-exact', async () => {
    const r = await registry.get();
    const index = await makeTwoPlatformIndex('oci');
    const { digest } = await pushImage(r, 'library/multi', 'v1', index);
    assert.is(digest, index.manifest.digest);

    const top = await fetchManifest(r, 'library/multi', 'v1');
    assert.ok(top.bytes.equals(index.manifest.bytes));
    assert.is(top.contentType, MEDIA_TYPES.ociIndex);
    assert.is(top.digest, index.manifest.digest);
    assert.is(top.headerDigest, index.manifest.digest);
    for (const image of index.images) {
      const child = await fetchManifest(r, 'library/multi', image.manifest.digest);
      assert.ok(child.bytes.equals(image.manifest.bytes));
      assert.is(child.contentType, MEDIA_TYPES.ociManifest);
      for (const blob of [image.config, ...image.layers]) {
        assert.ok(await blobExists(r, 'library/multi', blob.digest), `${blob.digest} missing`);
      }
    }
    assert.is(await blobExists(r, 'library/multi', `sha256:${'0'.repeat(64)}`), false);
  });

  test('a Docker schema2 image round-trips byte-exact', async () => {
    const r = await registry.get();
    const image = await makeSimpleImage('docker', { seed: `docker-${mode.name}` });
    await pushImage(r, 'team/app', 'latest', image);
    const got = await fetchManifest(r, 'team/app', 'latest');
    assert.ok(got.bytes.equals(image.manifest.bytes));
    assert.is(got.contentType, MEDIA_TYPES.dockerManifest);
    assert.is(got.digest, image.manifest.digest);
  });

  test('a Docker manifest list pushed by digest only (no tag)', async () => {
    const r = await registry.get();
    const list = await makeTwoPlatformIndex('docker', { seed: 'untagged' });
    await pushImage(r, 'team/list', undefined, list);
    const got = await fetchManifest(r, 'team/list', list.manifest.digest);
    assert.ok(got.bytes.equals(list.manifest.bytes));
    assert.is(got.contentType, MEDIA_TYPES.dockerList);
  });

  test('skopeo sees the same digests and copies them unchanged', async () => {
    if (!hasSkopeo()) throw new Error('skopeo is not installed');
    const r = await registry.get();
    const index = await makeTwoPlatformIndex('oci', { seed: 'for-skopeo' });
    const image = await makeSimpleImage('docker', { seed: 'for-skopeo' });
    await pushImage(r, 'skopeo/index', 'v1', index);
    await pushImage(r, 'skopeo/image', 'v1', image);
    const endpoint = skopeoEndpointFor(r);

    const rawIndex = await skopeoInspectRaw(r.ref('skopeo/index', 'v1'), endpoint);
    assert.is(rawIndex.digest, index.manifest.digest);
    const firstChild = index.images[0];
    assert.ok(firstChild !== undefined);
    const rawChild = await skopeoInspectRaw(r.ref('skopeo/index', firstChild.manifest.digest), endpoint);
    assert.is(rawChild.digest, firstChild.manifest.digest);
    const rawImage = await skopeoInspectRaw(r.ref('skopeo/image', 'v1'), endpoint);
    assert.is(rawImage.digest, image.manifest.digest);

    await skopeoCopy(r.ref('skopeo/index', 'v1'), r.ref('skopeo/copied', 'v1'), { all: true, src: endpoint, dest: endpoint });
    assert.is((await fetchManifest(r, 'skopeo/copied', 'v1')).digest, index.manifest.digest);
  });

  if (mode.auth !== 'none') {
    test('a wrong password is refused', async () => {
      const r = await registry.get();
      const image = await makeSimpleImage('oci', { seed: 'refused' });
      const wrong = { username: r.username ?? '', password: 'not-the-password' };
      try {
        await pushImage(r, 'denied/app', 'v1', image, { credentials: wrong });
        assert.unreachable('push with a wrong password succeeded');
      } catch (error) {
        assert.instance(error, Error);
        assert.match(String(error), /HTTP 401/);
      }
    });

    test('anonymous pull is refused', async () => {
      const r = await registry.get();
      try {
        await fetchManifest(r, 'team/app', 'latest', { credentials: 'anonymous' });
        assert.unreachable('anonymous pull succeeded');
      } catch (error) {
        assert.match(String(error), /HTTP 401|no credentials/);
      }
    });
  }

  if (mode.auth === 'token') {
    test('the token server saw the pushes and never recorded a password', async () => {
      const r = await registry.get();
      const server = r.tokenServer;
      assert.ok(server !== undefined);
      assert.ok(server.requests.length > 0);
      assert.ok(server.requests.some((q) => q.scopes.includes('repository:library/multi:pull,push')));
      assert.ok(server.requests.every((q) => q.service === 'image-cloner-test-registry'));
      assert.not.ok(JSON.stringify(server.requests).includes(r.password ?? '\u0000'));
    });
  }

  test('logs() holds the registry log', async () => {
    const r = await registry.get();
    assert.match(r.logs(), /listening on 127\.0\.0\.1:\d+/);
    assert.match(r.logs(), /"GET \/v2\/ HTTP\/1\.1"/);
  });

  test.run();
}

function registryPidsUnder(roots: readonly string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    if (cmdline.includes('docker-registry') && roots.some((root) => cmdline.includes(root))) found.push(Number(entry));
  }
  return found;
}

const cleanup = suite('cleanup');

cleanup('no docker-registry process of ours remains', () => {
  assert.is(startedPids.length, MODES.length);
  assert.equal(runningManagedPids(), []);
  for (const pid of startedPids) {
    assert.throws(() => process.kill(pid, 0), /ESRCH/, `registry pid ${pid} still exists`);
  }
  assert.equal(registryPidsUnder(startedRoots), []);
});

cleanup.run();
