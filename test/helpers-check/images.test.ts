/**
 * Test image building (layers, manifests, indexes), the streamed large-layer
 * push, and the test PKI.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { lazyFixture } from '../helpers/fixture.js';
import {
  blobExists,
  fetchBlob,
  fetchManifest,
  makeImage,
  makeIndex,
  makeLargeImage,
  makeLargeLayerFile,
  makeLayer,
  makeTwoPlatformIndex,
  MEDIA_TYPES,
  pushImage,
  pushLayerFromFile,
  sha256Digest,
} from '../helpers/images.js';
import { startRegistry } from '../helpers/registry-server.js';
import { skopeoEndpointFor, skopeoInspectRaw } from '../helpers/skopeo.js';
import { createTestPki, sharedTestPki } from '../helpers/tls.js';

const test = suite('images and pki');
const scratch = lazyFixture(
  () => mkdtemp(join(tmpdir(), 'image-cloner-images-test-')),
  (dir) => rm(dir, { recursive: true, force: true }),
);
const registry = lazyFixture(() => startRegistry({ tls: true }), (r) => r.stop());
test.after(async () => {
  await registry.dispose();
  await scratch.dispose();
});

async function tarEntries(tarBytes: Buffer): Promise<Map<string, Buffer>> {
  const extract = tar.extract();
  const entries = new Map<string, Buffer>();
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
      entries.set(entry.header.name, Buffer.concat(chunks));
    }
  })();
  extract.end(tarBytes);
  await done;
  return entries;
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

test('layers are deterministic, valid tar.gz, with digest and diffId', async () => {
  const a = await makeLayer({ files: { 'b.txt': 'b', 'a.txt': 'a' } });
  const b = await makeLayer({ files: { 'a.txt': 'a', 'b.txt': 'b' } });
  assert.is(a.digest, b.digest);
  assert.is(a.digest, sha256Digest(a.bytes));
  assert.is(a.size, a.bytes.length);
  const tarBytes = gunzipSync(a.bytes);
  assert.is(a.diffId, sha256Digest(tarBytes));
  const entries = await tarEntries(tarBytes);
  assert.equal([...entries.keys()], ['a.txt', 'b.txt']);
  assert.is(entries.get('b.txt')?.toString(), 'b');

  const plain = await makeLayer({ files: { 'x': 'y' }, gzip: false });
  assert.is(plain.digest, plain.diffId);
  assert.is(plain.compressed, false);
});

test('sized payloads: seeded incompressible is reproducible, unseeded is random', async () => {
  const one = await makeLayer({ sizeBytes: 256 * 1024, incompressible: true, seed: 7 });
  const two = await makeLayer({ sizeBytes: 256 * 1024, incompressible: true, seed: 7 });
  const other = await makeLayer({ sizeBytes: 256 * 1024, incompressible: true });
  assert.is(one.digest, two.digest);
  assert.is.not(one.digest, other.digest);
  assert.ok(one.size > 256 * 1024, 'gzip must not shrink incompressible bytes');
  const compressible = await makeLayer({ sizeBytes: 256 * 1024 });
  assert.ok(compressible.size < 16 * 1024);
});

test('manifests and indexes carry exact descriptors', async () => {
  const index = await makeTwoPlatformIndex('oci');
  const doc: unknown = JSON.parse(index.manifest.bytes.toString());
  assert.equal(doc, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: index.images.map((image) => ({
      mediaType: MEDIA_TYPES.ociManifest,
      digest: image.manifest.digest,
      size: image.manifest.size,
      platform: image.platform,
    })),
  });
  assert.equal(index.images.map((i) => i.platform), [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
  ]);
  const [amd, arm] = index.images;
  assert.is(amd?.layers[0]?.digest, arm?.layers[0]?.digest, 'base layer is shared');
  assert.is.not(amd?.layers[1]?.digest, arm?.layers[1]?.digest);
  // 3-space indent: a client that re-serializes changes the digest.
  assert.match(index.manifest.bytes.toString(), /\n {3}"schemaVersion": 2/);

  const list = await makeTwoPlatformIndex('docker');
  assert.is(list.manifest.mediaType, MEDIA_TYPES.dockerList);
  const image = list.images[0];
  assert.ok(image !== undefined);
  const manifest: unknown = JSON.parse(image.manifest.bytes.toString());
  assert.equal(manifest, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.dockerManifest,
    config: { mediaType: MEDIA_TYPES.dockerConfig, digest: image.config.digest, size: image.config.size },
    layers: image.layers.map((l) => ({ mediaType: MEDIA_TYPES.dockerLayerGzip, digest: l.digest, size: l.size })),
  });
  const config = z.object({ rootfs: z.unknown() }).parse(JSON.parse(image.config.bytes.toString()));
  assert.equal(config.rootfs, { type: 'layers', diff_ids: image.layers.map((l) => l.diffId) });
  assert.throws(() => makeIndex({ format: 'oci', images: list.images }), /docker image in a oci index/);
});

test('a large layer is written and pushed as a stream', async () => {
  const dir = await scratch.get();
  const r = await registry.get();
  const layer = await makeLargeLayerFile(join(dir, 'big.tar'), { sizeMiB: 8, seed: 'bench' });
  assert.is((await stat(layer.file)).size, layer.size);
  assert.ok(layer.size > 8 * 1024 * 1024);
  assert.is(await fileDigest(layer.file), layer.digest);
  assert.is(layer.diffId, layer.digest, 'uncompressed: the diffId is the digest');
  const again = await makeLargeLayerFile(join(dir, 'big2.tar'), { sizeMiB: 8, seed: 'bench' });
  assert.is(again.digest, layer.digest);

  await pushLayerFromFile(r, 'bench/big', layer);
  assert.ok(await blobExists(r, 'bench/big', layer.digest));

  const gz = await makeLargeLayerFile(join(dir, 'big.tar.gz'), { sizeMiB: 1, gzip: true });
  assert.is(await fileDigest(gz.file), gz.digest);
  assert.is.not(gz.diffId, gz.digest);

  const large = await makeLargeImage({ file: join(dir, 'large-image.tar'), sizeMiB: 2, format: 'docker', seed: 1 });
  await pushImage(r, 'bench/large', 'v1', large);
  assert.is((await fetchManifest(r, 'bench/large', 'v1')).digest, large.manifest.digest);

  const image = makeImage({ format: 'oci', layers: [layer, gz] });
  await pushImage(r, 'bench/image', 'v1', image);
  assert.is((await fetchManifest(r, 'bench/image', 'v1')).digest, image.manifest.digest);
  assert.ok((await fetchBlob(r, 'bench/image', gz.digest)).length === gz.size);
  const raw = await skopeoInspectRaw(r.ref('bench/image', 'v1'), skopeoEndpointFor(r));
  assert.is(raw.digest, image.manifest.digest);
});

test('the PKI: server cert names, chain, and an unrelated CA', async () => {
  const pki = await sharedTestPki();
  const server = new X509Certificate(pki.server.certPem);
  const ca = new X509Certificate(pki.ca.certPem);
  const other = new X509Certificate(pki.otherCa.certPem);
  assert.ok(server.verify(ca.publicKey));
  assert.not.ok(server.verify(other.publicKey));
  assert.ok(new X509Certificate(pki.tokenSigner.certPem).verify(ca.publicKey));
  assert.is(server.checkHost('localhost'), 'localhost');
  assert.is(server.checkIP('127.0.0.1'), '127.0.0.1');
  assert.is(server.checkIP('::1'), '::1');
  assert.ok(ca.ca);
  assert.not.ok(server.ca);
  assert.is(server.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.is(await sharedTestPki(), pki, 'one PKI per process');

  const dir = await mkdtemp(join(tmpdir(), 'image-cloner-pki-test-'));
  try {
    const extra = await createTestPki(dir, { extraDnsNames: ['image-cloner.image-cloner.svc'] });
    const cert = new X509Certificate(extra.server.certPem);
    assert.is(cert.checkHost('image-cloner.image-cloner.svc'), 'image-cloner.image-cloner.svc');
    assert.is(cert.checkHost('localhost'), 'localhost');
    try {
      await createTestPki(dir, { extraDnsNames: ['bad name'] });
      assert.unreachable();
    } catch (error) {
      assert.match(String(error), /not a DNS name/);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('TLS to the registry fails with the unrelated CA and works with the test CA', async () => {
  const r = await registry.get();
  const pki = await sharedTestPki();
  for (const [ca, ok] of [[pki.ca.certPem, true], [pki.otherCa.certPem, false]] as const) {
    const dispatcher = new Agent({ connect: { ca } });
    try {
      const res = await request(`${r.url}/v2/`, { dispatcher });
      await res.body.dump();
      assert.ok(ok, 'the unrelated CA was accepted');
    } catch (error) {
      assert.not.ok(ok, String(error));
      assert.is(error instanceof Error && 'code' in error ? error.code : undefined, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    } finally {
      await dispatcher.close();
    }
  }
});

test.run();
