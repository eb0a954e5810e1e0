/**
 * Referrers travel with the image, between real distribution registries
 * (2.8.2, which has no referrers API: the tag schema fallback both ways).
 * Artifacts are pushed with a real `subject`, fallback tags and cosign tags,
 * as clients push them to such a registry; skopeo confirms the bytes.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { createOciArchiveDestination } from '../../src/archive/oci-archive-destination.js';
import { parseDockerConfig } from '../../src/core/docker-config.js';
import { parseImageRef, withDefaultTag } from '../../src/core/reference.js';
import { copyImage, type CopyOptions, type CopySummary, type ReferrerFailure } from '../../src/mirror/copy-image.js';
import { RegistryPool } from '../../src/registry/registry-pool.js';
import { RepositoryEndpoint } from '../../src/registry/repository-endpoint.js';
import { cosignSignatureTag, fallbackTag, makeArtifact, makeFallbackIndex, SIGNATURE_TYPE, hasManifest } from '../helpers/artifacts.js';
import { lazyFixture } from '../helpers/fixture.js';
import { blobExists, fetchBlob, fetchManifest, pushImage, type TestImage } from '../helpers/images.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { makeTempDir } from '../helpers/temp-dirs.js';
import { hasSkopeo, skopeoEndpointFor, skopeoInspectRaw } from '../helpers/skopeo.js';
import { makeSupplyChain, pushManifestDocument, pushSupplyChain, type SupplyChain } from '../helpers/supply-chain.js';

interface World {
  readonly source: TestRegistry;
  readonly backup: TestRegistry;
  readonly pool: RegistryPool;
}

const world = lazyFixture<World>(
  async () => {
    const [source, backup] = await Promise.all([startRegistry({ auth: 'none' }), startRegistry({ auth: 'htpasswd' })]);
    const auth = Buffer.from(`${backup.username ?? ''}:${backup.password ?? ''}`).toString('base64');
    const pool = new RegistryPool({
      auth: parseDockerConfig(JSON.stringify({ auths: { [backup.host]: { auth } } })),
      caPems: backup.caPem === undefined ? [] : [backup.caPem],
      insecureHosts: [source.host],
    });
    return { source, backup, pool };
  },
  async (w) => {
    await w.pool.close();
    await Promise.all([w.source.stop(), w.backup.stop()]);
  },
);

function endpoint(pool: RegistryPool, reference: string): RepositoryEndpoint {
  const ref = withDefaultTag(parseImageRef(reference));
  return new RepositoryEndpoint(pool.clientFor(ref.domain), ref);
}

async function copy(w: World, src: string, dst: string, options: CopyOptions = {}): Promise<CopySummary> {
  const destination = endpoint(w.pool, dst);
  return copyImage(endpoint(w.pool, src), destination, { destinationTag: destination.ref.tag, ...options });
}

async function prepared(repo: string): Promise<{ w: World; chain: SupplyChain }> {
  const w = await world.get();
  const chain = await makeSupplyChain(repo, `${w.source.host}/${repo}`);
  await pushSupplyChain(w.source, repo, 'v1', chain);
  return { w, chain };
}

async function assertArrived(registry: TestRegistry, repo: string, artifact: TestImage): Promise<void> {
  const fetched = await fetchManifest(registry, repo, artifact.manifest.digest);
  assert.ok(fetched.bytes.equals(artifact.manifest.bytes), `byte-exact ${artifact.manifest.digest}`);
  assert.is(fetched.contentType, artifact.manifest.mediaType);
  assert.ok(await blobExists(registry, repo, artifact.config.digest), 'config blob');
  for (const layer of artifact.layers) {
    const bytes = await fetchBlob(registry, repo, layer.digest);
    assert.ok('bytes' in layer && bytes.equals(layer.bytes), 'layer bytes');
  }
}

async function listedIn(registry: TestRegistry, repo: string, subject: string): Promise<string[]> {
  const fetched = await fetchManifest(registry, repo, fallbackTag(subject));
  const document = JSON.parse(fetched.bytes.toString('utf8')) as { manifests: { digest: string }[] };
  return document.manifests.map((m) => m.digest);
}

const test = suite('copy referrers between registries without the referrers API');
test.after(() => world.dispose());

test('2.8.2 answers the referrers API with a plain 404: treated as unsupported', async () => {
  const { w, chain } = await prepared('probe/app');
  const client = w.pool.clientFor(w.source.host);
  assert.is(await client.listReferrers('probe/app', chain.index.manifest.digest), undefined);
});

test('index, platform manifest, a referrer of a referrer and a cosign tag: all arrive byte-exact', async () => {
  const { w, chain } = await prepared('chain/app');
  const summary = await copy(w, w.source.ref('chain/app', 'v1'), w.backup.ref('mirror/chain', 'v1'));
  assert.equal(summary.referrers, { copied: 4, present: 0, failed: 0 });
  assert.equal(summary.manifests, { pushed: 3, present: 0 }, 'the image counts stay the image');
  for (const artifact of chain.artifacts) await assertArrived(w.backup, 'mirror/chain', artifact);
  assert.equal(await listedIn(w.backup, 'mirror/chain', chain.index.manifest.digest), [chain.sbom.manifest.digest]);
  assert.equal(await listedIn(w.backup, 'mirror/chain', chain.amd64.manifest.digest), [chain.platformSignature.manifest.digest]);
  assert.equal(await listedIn(w.backup, 'mirror/chain', chain.sbom.manifest.digest), [chain.sbomSignature.manifest.digest]);
  const sig = await fetchManifest(w.backup, 'mirror/chain', cosignSignatureTag(chain.index.manifest.digest));
  assert.is(sig.digest, chain.cosignSignature.manifest.digest, 'cosign tag names the same signature');
  if (hasSkopeo()) {
    const raw = await skopeoInspectRaw(w.backup.ref('mirror/chain', chain.sbom.manifest.digest), skopeoEndpointFor(w.backup));
    assert.is(raw.digest, chain.sbom.manifest.digest, 'skopeo reads the SBOM byte-exact');
  }
});

test('a re-copy is idempotent: all present, fallback indexes unchanged', async () => {
  const { w, chain } = await prepared('again/app');
  await copy(w, w.source.ref('again/app', 'v1'), w.backup.ref('mirror/again', 'v1'));
  const before = await fetchManifest(w.backup, 'mirror/again', fallbackTag(chain.index.manifest.digest));
  const summary = await copy(w, w.source.ref('again/app', 'v1'), w.backup.ref('mirror/again', 'v1'));
  assert.equal(summary.referrers, { copied: 0, present: 4, failed: 0 });
  const after = await fetchManifest(w.backup, 'mirror/again', fallbackTag(chain.index.manifest.digest));
  assert.is(after.digest, before.digest, 'fallback index not rewritten');
});

test('an existing destination fallback index is merged: its entries kept, none duplicated', async () => {
  const { w, chain } = await prepared('merge/app');
  // The backup already holds the image and a signature of its own for the index.
  await pushImage(w.backup, 'mirror/merge', 'v1', chain.index);
  const local = makeArtifact({ subject: chain.index.manifest, artifactType: SIGNATURE_TYPE, payload: 'backup-side signature' });
  await pushImage(w.backup, 'mirror/merge', undefined, local);
  const existing = makeFallbackIndex([local]);
  await pushManifestDocument(w.backup, 'mirror/merge', fallbackTag(chain.index.manifest.digest), existing);

  const first = await copy(w, w.source.ref('merge/app', 'v1'), w.backup.ref('mirror/merge', 'v1'));
  assert.equal(first.referrers, { copied: 4, present: 0, failed: 0 });
  const merged = await fetchManifest(w.backup, 'mirror/merge', fallbackTag(chain.index.manifest.digest));
  const document = JSON.parse(merged.bytes.toString('utf8')) as { manifests: unknown[] };
  const original = JSON.parse(existing.bytes.toString('utf8')) as { manifests: unknown[] };
  assert.equal(document.manifests[0], original.manifests[0], 'the existing entry is kept as it was');
  assert.equal(await listedIn(w.backup, 'mirror/merge', chain.index.manifest.digest), [local.manifest.digest, chain.sbom.manifest.digest]);

  await copy(w, w.source.ref('merge/app', 'v1'), w.backup.ref('mirror/merge', 'v1'));
  assert.equal(await listedIn(w.backup, 'mirror/merge', chain.index.manifest.digest), [local.manifest.digest, chain.sbom.manifest.digest]);
});

test('referrers: false copies the image alone', async () => {
  const { w, chain } = await prepared('off/app');
  const summary = await copy(w, w.source.ref('off/app', 'v1'), w.backup.ref('mirror/off', 'v1'), { referrers: false });
  assert.equal(summary.referrers, { copied: 0, present: 0, failed: 0 });
  assert.is(await hasManifest(w.backup, 'mirror/off', fallbackTag(chain.index.manifest.digest)), false);
  assert.is(await hasManifest(w.backup, 'mirror/off', cosignSignatureTag(chain.index.manifest.digest)), false);
  assert.is(await hasManifest(w.backup, 'mirror/off', chain.sbom.manifest.digest), false);
});

test('a platform filter: the index is new, so only the kept platform keeps its referrers', async () => {
  const { w, chain } = await prepared('filter/app');
  const summary = await copy(w, w.source.ref('filter/app', 'v1'), w.backup.ref('mirror/filter', 'v1'), {
    platforms: [{ os: 'linux', architecture: 'amd64' }],
  });
  assert.ok(summary.filtered);
  assert.equal(summary.referrers, { copied: 1, present: 0, failed: 0 });
  await assertArrived(w.backup, 'mirror/filter', chain.platformSignature);
  assert.is(await hasManifest(w.backup, 'mirror/filter', chain.sbom.manifest.digest), false);
});

test('referrers that cannot be listed: counted, reported with a code, the image and the other referrers copied', async () => {
  const w = await world.get();
  const chain = await makeSupplyChain('broken/app', `${w.source.host}/broken/app`);
  await pushSupplyChain(w.source, 'broken/app', 'v1', chain);
  // The amd64 manifest's fallback tag names something that is not a referrers index.
  await pushImage(w.source, 'broken/app', fallbackTag(chain.amd64.manifest.digest), chain.cosignSignature);
  const failures: ReferrerFailure[] = [];
  const summary = await copy(w, w.source.ref('broken/app', 'v1'), w.backup.ref('mirror/broken', 'v1'), {
    observer: { onReferrerFailed: (f) => failures.push(f) },
  });
  assert.is(summary.digest, chain.index.manifest.digest, 'the image is copied');
  assert.equal(summary.referrers, { copied: 3, present: 0, failed: 1 });
  assert.is(failures.length, 1);
  assert.is(failures[0]?.subject, chain.amd64.manifest.digest);
  assert.is(failures[0]?.error.code, 'IC_ERR_BAD_MANIFEST');
  assert.match(failures[0]?.error.message ?? '', chain.amd64.manifest.digest);
  await assertArrived(w.backup, 'mirror/broken', chain.sbomSignature);
  assert.is(await hasManifest(w.backup, 'mirror/broken', chain.platformSignature.manifest.digest), false);
});

test('a list that names its own subject does not loop: copied once, the copy ends', async () => {
  const w = await world.get();
  const chain = await makeSupplyChain('loop/app', `${w.source.host}/loop/app`);
  await pushSupplyChain(w.source, 'loop/app', 'v1', chain);
  await pushManifestDocument(w.source, 'loop/app', fallbackTag(chain.sbom.manifest.digest), makeFallbackIndex([chain.sbom, chain.sbomSignature]));
  const summary = await copy(w, w.source.ref('loop/app', 'v1'), w.backup.ref('mirror/loop', 'v1'));
  assert.equal(summary.referrers, { copied: 4, present: 0, failed: 0 });
  await assertArrived(w.backup, 'mirror/loop', chain.sbomSignature);
});

test('to an OCI archive: the image alone (archives hold no referrers)', async () => {
  const { w } = await prepared('archive/app');
  const file = join(makeTempDir('referrers-archive'), 'image.tar');
  const destination = await createOciArchiveDestination(file, 'v1');
  const summary = await copyImage(endpoint(w.pool, w.source.ref('archive/app', 'v1')), destination, { destinationTag: 'v1' });
  assert.equal(summary.referrers, { copied: 0, present: 0, failed: 0 });
  assert.is(summary.manifests.pushed, 3);
});

test.run();
