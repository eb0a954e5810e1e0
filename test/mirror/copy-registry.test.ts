/**
 * The copy engine between real distribution registries: plain HTTP,
 * HTTPS + htpasswd, HTTPS + token auth. skopeo confirms the results.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDockerConfig, type DockerConfig } from '../../src/core/docker-config.js';
import { isClonerError } from '../../src/core/errors.js';
import { parseImageRef, withDefaultTag } from '../../src/core/reference.js';
import { copyImage, type CopySummary } from '../../src/mirror/copy-image.js';
import { RegistryPool } from '../../src/registry/registry-pool.js';
import { RepositoryEndpoint } from '../../src/registry/repository-endpoint.js';
import { lazyFixture } from '../helpers/fixture.js';
import {
  blobExists,
  fetchManifest,
  makeIndex,
  makeSimpleImage,
  makeTwoPlatformIndex,
  pushImage,
  type TestImage,
  type TestIndex,
} from '../helpers/images.js';
import { accessLogSince, markAccessLog, syncAccessLog } from '../helpers/registry-access-log.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { pushManifestDocument } from '../helpers/supply-chain.js';
import { hasSkopeo, skopeoEndpointFor, skopeoInspectRaw } from '../helpers/skopeo.js';

const plain = lazyFixture(() => startRegistry({ auth: 'none' }), (r) => r.stop());
const basic = lazyFixture(() => startRegistry({ auth: 'htpasswd' }), (r) => r.stop());
const token = lazyFixture(() => startRegistry({ auth: 'token' }), (r) => r.stop());

function authFor(...registries: TestRegistry[]): DockerConfig {
  const auths: Record<string, { auth: string }> = {};
  for (const r of registries) {
    if (r.username === undefined || r.password === undefined) continue;
    auths[r.host] = { auth: Buffer.from(`${r.username}:${r.password}`).toString('base64') };
  }
  return parseDockerConfig(JSON.stringify({ auths }));
}

function poolFor(...registries: TestRegistry[]): RegistryPool {
  return new RegistryPool({
    auth: authFor(...registries),
    caPems: registries.flatMap((r) => (r.caPem === undefined ? [] : [r.caPem])),
    insecureHosts: registries.filter((r) => !r.tls).map((r) => r.host),
  });
}

function endpoint(pool: RegistryPool, reference: string): RepositoryEndpoint {
  const ref = withDefaultTag(parseImageRef(reference));
  return new RepositoryEndpoint(pool.clientFor(ref.domain), ref);
}

async function copy(
  pool: RegistryPool,
  src: string,
  dst: string,
  options: Parameters<typeof copyImage>[2] = {},
): Promise<CopySummary> {
  const dstEndpoint = endpoint(pool, dst);
  return copyImage(endpoint(pool, src), dstEndpoint, { destinationTag: dstEndpoint.ref.tag, ...options });
}

async function assertSameEverywhere(
  registry: TestRegistry,
  repo: string,
  tag: string,
  artifact: TestImage | TestIndex,
): Promise<void> {
  const fetched = await fetchManifest(registry, repo, tag);
  assert.is(fetched.digest, artifact.manifest.digest, 'manifest digest at the destination');
  assert.ok(fetched.bytes.equals(artifact.manifest.bytes), 'exact manifest bytes');
  assert.is(fetched.contentType, artifact.manifest.mediaType, 'exact media type');
  const images = artifact.kind === 'index' ? artifact.images : [artifact];
  for (const image of images) {
    const child = await fetchManifest(registry, repo, image.manifest.digest);
    assert.is(child.digest, image.manifest.digest);
    assert.ok(await blobExists(registry, repo, image.config.digest), 'config present');
    for (const layer of image.layers) assert.ok(await blobExists(registry, repo, layer.digest), 'layer present');
  }
  if (hasSkopeo()) {
    const raw = await skopeoInspectRaw(registry.ref(repo, tag), skopeoEndpointFor(registry));
    assert.is(raw.digest, artifact.manifest.digest, 'skopeo sees the same digest');
  }
}

const formats = suite('copy between registries: every manifest type, byte-exact');

for (const format of ['oci', 'docker'] as const) {
  formats(`${format} two-platform index: plain HTTP -> HTTPS + htpasswd`, async () => {
    const [src, dst] = [await plain.get(), await basic.get()];
    const index = await makeTwoPlatformIndex(format, { seed: `idx-${format}` });
    await pushImage(src, `lib/multi-${format}`, 'v1', index);
    const pool = poolFor(src, dst);
    try {
      const s = await copy(pool, src.ref(`lib/multi-${format}`, 'v1'), dst.ref(`mirror/multi-${format}`, 'v1'));
      assert.is(s.digest, index.manifest.digest);
      assert.is(s.sourceDigest, index.manifest.digest);
      assert.is(s.mediaType, index.manifest.mediaType);
      assert.equal(s.platforms, ['linux/amd64', 'linux/arm64/v8']);
      assert.is(s.filtered, false);
      // Shared base layer + one layer per platform + two configs.
      assert.equal(s.blobs, { copied: 5, skipped: 0, mounted: 0, foreign: 0 });
      assert.equal(s.manifests, { pushed: 3, present: 0 });
      await assertSameEverywhere(dst, `mirror/multi-${format}`, 'v1', index);
    } finally {
      await pool.close();
    }
  });

  formats(`${format} single-platform image: HTTPS + htpasswd -> plain HTTP`, async () => {
    const [src, dst] = [await basic.get(), await plain.get()];
    const image = await makeSimpleImage(format, { seed: `single-${format}` });
    await pushImage(src, `lib/single-${format}`, '1.0', image);
    const pool = poolFor(src, dst);
    try {
      const s = await copy(pool, src.ref(`lib/single-${format}`, '1.0'), dst.ref(`mirror/single-${format}`, '1.0'));
      assert.is(s.digest, image.manifest.digest);
      assert.equal(s.platforms, ['linux/amd64']);
      assert.equal(s.blobs, { copied: 2, skipped: 0, mounted: 0, foreign: 0 });
      await assertSameEverywhere(dst, `mirror/single-${format}`, '1.0', image);
    } finally {
      await pool.close();
    }
  });
}

formats('a second copy uploads nothing', async () => {
  const [src, dst] = [await plain.get(), await basic.get()];
  const index = await makeTwoPlatformIndex('oci', { seed: 'again' });
  await pushImage(src, 'lib/again', 'v1', index);
  const pool = poolFor(src, dst);
  try {
    await copy(pool, src.ref('lib/again', 'v1'), dst.ref('mirror/again', 'v1'));
    const second = await copy(pool, src.ref('lib/again', 'v1'), dst.ref('mirror/again', 'v1'));
    assert.equal(second.blobs, { copied: 0, skipped: 0, mounted: 0, foreign: 0 });
    assert.equal(second.manifests, { pushed: 0, present: 1 });
    assert.is(second.bytes, 0);
    // Same content under a new tag: only the tag is written.
    const retag = await copy(pool, src.ref('lib/again', 'v1'), dst.ref('mirror/again', 'v2'));
    assert.equal(retag.blobs, { copied: 0, skipped: 0, mounted: 0, foreign: 0 });
    await assertSameEverywhere(dst, 'mirror/again', 'v2', index);
  } finally {
    await pool.close();
  }
});

formats('partly present: existing blobs are skipped after a HEAD', async () => {
  const [src, dst] = [await plain.get(), await basic.get()];
  const index = await makeTwoPlatformIndex('docker', { seed: 'partial' });
  await pushImage(src, 'lib/partial', 'v1', index);
  const first = index.images[0];
  assert.ok(first !== undefined);
  // Tagged, so the repository exists and its content is checked blob by blob.
  await pushImage(dst, 'mirror/partial', 'amd64-only', first);
  const pool = poolFor(src, dst);
  try {
    const s = await copy(pool, src.ref('lib/partial', 'v1'), dst.ref('mirror/partial', 'v1'));
    // The amd64 child manifest was already there, so its subtree is skipped whole.
    assert.equal(s.manifests, { pushed: 2, present: 1 });
    // arm64: its shared base layer is present (pushed with amd64); its own layer and config are not.
    assert.equal(s.blobs, { copied: 2, skipped: 1, mounted: 0, foreign: 0 });
    await assertSameEverywhere(dst, 'mirror/partial', 'v1', index);
  } finally {
    await pool.close();
  }
});

formats('a new repository is not probed blob by blob; untagged leftovers are simply rewritten', async () => {
  const [src, dst] = [await plain.get(), await basic.get()];
  const index = await makeTwoPlatformIndex('oci', { seed: 'leftover' });
  await pushImage(src, 'lib/leftover', 'v1', index);
  const first = index.images[0];
  assert.ok(first !== undefined);
  // What an interrupted copy leaves: content pushed by digest, no tag yet.
  await pushImage(dst, 'mirror/leftover', undefined, first);
  const pool = poolFor(src, dst);
  try {
    const s = await copy(pool, src.ref('lib/leftover', 'v1'), dst.ref('mirror/leftover', 'v1'));
    // The repository has no tag, so it counts as new: nothing is HEADed, all is uploaded (and verified) again.
    assert.equal(s.blobs, { copied: 5, skipped: 0, mounted: 0, foreign: 0 });
    assert.equal(s.manifests, { pushed: 3, present: 0 });
    await assertSameEverywhere(dst, 'mirror/leftover', 'v1', index);
  } finally {
    await pool.close();
  }
});

formats.run();

const auth = suite('auth: token flow and cross-repository mount');

auth('token registry -> token registry, same registry: blobs are mounted, not uploaded', async () => {
  const reg = await token.get();
  const index = await makeTwoPlatformIndex('oci', { seed: 'mount' });
  await pushImage(reg, 'team-a/app', 'v1', index);
  reg.tokenServer?.clearRequests();
  const pool = poolFor(reg);
  try {
    const s = await copy(pool, reg.ref('team-a/app', 'v1'), reg.ref('backup/team-a/app', 'v1'));
    assert.equal(s.blobs, { copied: 0, skipped: 0, mounted: 5, foreign: 0 });
    const requests = [...(reg.tokenServer?.requests ?? [])];
    const mountToken = requests.find(
      (r) => r.scopes.includes('repository:backup/team-a/app:pull,push') && r.scopes.includes('repository:team-a/app:pull'),
    );
    assert.ok(mountToken, `a token request with one scope parameter per repository: ${JSON.stringify(requests.map((r) => r.scopes))}`);
    // Tokens are cached per scope set: source pull, destination push, and the mount's pair.
    assert.equal(
      requests.map((r) => r.scopes),
      [
        ['repository:team-a/app:pull'],
        ['repository:backup/team-a/app:pull,push'],
        ['repository:backup/team-a/app:pull,push', 'repository:team-a/app:pull'],
      ],
    );
    await assertSameEverywhere(reg, 'backup/team-a/app', 'v1', index);
  } finally {
    await pool.close();
  }
});

auth('plain -> token registry with an identity token (refresh-token grant)', async () => {
  const [src, reg] = [await plain.get(), await token.get()];
  const image = await makeSimpleImage('docker', { seed: 'identity' });
  await pushImage(src, 'lib/identity', 'v1', image);
  reg.tokenServer?.update({ refreshTokens: { 'refresh-abc': reg.username ?? '' } });
  const pool = new RegistryPool({
    auth: parseDockerConfig(JSON.stringify({ auths: { [reg.host]: { identitytoken: 'refresh-abc' } } })),
    caPems: [reg.caPem ?? ''],
    insecureHosts: [src.host],
  });
  try {
    const s = await copy(pool, src.ref('lib/identity', 'v1'), reg.ref('mirror/identity', 'v1'));
    assert.is(s.digest, image.manifest.digest);
    const grants = (reg.tokenServer?.requests ?? []).filter((r) => r.grantType === 'refresh_token');
    assert.ok(grants.length >= 1, 'used the refresh-token grant');
  } finally {
    await pool.close();
  }
});

auth('wrong password -> IC_ERR_UNAUTHORIZED naming the registry, with no secret in the message', async () => {
  const reg = await basic.get();
  const pool = new RegistryPool({
    auth: parseDockerConfig(JSON.stringify({ auths: { [reg.host]: { username: reg.username, password: 'not-the-password' } } })),
    caPems: [reg.caPem ?? ''],
  });
  try {
    await copy(pool, reg.ref('lib/none', 'v1'), reg.ref('mirror/none', 'v1'));
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isClonerError(error), String(error));
    assert.is(error.code, 'IC_ERR_UNAUTHORIZED');
    assert.ok(error.message.includes(reg.host), error.message);
    assert.not.ok(error.message.includes('not-the-password'));
  } finally {
    await pool.close();
  }
});

auth('token registry without credentials: anonymous pull denied -> IC_ERR_UNAUTHORIZED or IC_ERR_DENIED', async () => {
  const reg = await token.get();
  const pool = new RegistryPool({ caPems: [reg.caPem ?? ''] });
  try {
    await copy(pool, reg.ref('team-a/app', 'v1'), reg.ref('x/y', 'v1'));
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isClonerError(error), String(error));
    assert.ok(['IC_ERR_UNAUTHORIZED', 'IC_ERR_DENIED'].includes(error.code), error.code);
  } finally {
    await pool.close();
  }
});

auth.run();

const refs = suite('references: digests, platforms, missing things');

refs('by digest -> pushed by digest only, no tag invented', async () => {
  const [src, dst] = [await plain.get(), await basic.get()];
  const image = await makeSimpleImage('oci', { seed: 'by-digest' });
  await pushImage(src, 'lib/by-digest', 'v9', image);
  const pool = poolFor(src, dst);
  try {
    const source = endpoint(pool, `${src.host}/lib/by-digest@${image.manifest.digest}`);
    const target = new RepositoryEndpoint(pool.clientFor(dst.host), parseImageRef(`${dst.host}/mirror/by-digest`));
    const s = await copyImage(source, target, { destinationTag: undefined });
    assert.is(s.digest, image.manifest.digest);
    const fetched = await fetchManifest(dst, 'mirror/by-digest', image.manifest.digest);
    assert.is(fetched.digest, image.manifest.digest);
    await fetchManifest(dst, 'mirror/by-digest', 'latest').then(
      () => assert.unreachable('no tag should exist'),
      () => undefined,
    );
  } finally {
    await pool.close();
  }
});

refs('--platform filter: one child copied, new index digest reported', async () => {
  const [src, dst] = [await plain.get(), await basic.get()];
  const index = await makeTwoPlatformIndex('oci', { seed: 'filter' });
  await pushImage(src, 'lib/filter', 'v1', index);
  const pool = poolFor(src, dst);
  try {
    const s = await copy(pool, src.ref('lib/filter', 'v1'), dst.ref('mirror/filter', 'v1'), {
      platforms: [{ os: 'linux', architecture: 'arm64' }],
    });
    assert.is(s.filtered, true);
    assert.is(s.sourceDigest, index.manifest.digest);
    assert.is.not(s.digest, index.manifest.digest);
    assert.equal(s.platforms, ['linux/arm64/v8']);
    assert.equal(s.manifests, { pushed: 2, present: 0 });
    const fetched = await fetchManifest(dst, 'mirror/filter', 'v1');
    assert.is(fetched.digest, s.digest);
    const doc: unknown = JSON.parse(fetched.bytes.toString('utf8'));
    assert.ok(typeof doc === 'object' && doc !== null && 'manifests' in doc && Array.isArray(doc.manifests));
    assert.is(doc.manifests.length, 1);
    const amd64 = index.images[0];
    assert.ok(amd64 !== undefined);
    const amd64Copied = await fetchManifest(dst, 'mirror/filter', amd64.manifest.digest).then(
      () => true,
      () => false,
    );
    assert.is(amd64Copied, false, 'the filtered-out platform was not copied');
  } finally {
    await pool.close();
  }
});

refs('a platform the index lacks -> IC_ERR_NOT_FOUND listing what is available', async () => {
  const src = await plain.get();
  const index = await makeTwoPlatformIndex('docker', { seed: 'noplat' });
  await pushImage(src, 'lib/noplat', 'v1', index);
  const pool = poolFor(src);
  try {
    await copy(pool, src.ref('lib/noplat', 'v1'), src.ref('mirror/noplat', 'v1'), {
      platforms: [{ os: 'windows', architecture: 'amd64' }],
    });
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isClonerError(error), String(error));
    assert.is(error.code, 'IC_ERR_NOT_FOUND');
    assert.match(error.message, /available: linux\/amd64, linux\/arm64\/v8/);
  } finally {
    await pool.close();
  }
});

refs('unknown tag -> IC_ERR_NOT_FOUND naming the image; nothing written', async () => {
  const [src, dst] = [await plain.get(), await basic.get()];
  const pool = poolFor(src, dst);
  try {
    await copy(pool, src.ref('lib/nope', 'missing'), dst.ref('mirror/nope', 'missing'));
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isClonerError(error), String(error));
    assert.is(error.code, 'IC_ERR_NOT_FOUND');
    assert.ok(error.message.includes('lib/nope'), error.message);
  } finally {
    await pool.close();
  }
});

refs('unknown CA -> IC_ERR_TLS', async () => {
  const reg = await basic.get();
  const pool = new RegistryPool({ auth: authFor(reg) });
  try {
    await copy(pool, reg.ref('lib/single-oci', '1.0'), reg.ref('mirror/x', '1.0'));
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isClonerError(error), String(error));
    assert.is(error.code, 'IC_ERR_TLS');
  } finally {
    await pool.close();
  }
});

refs('an index that lists one manifest 200 times: the child is fetched and pushed once', async () => {
  const reg = await plain.get();
  const image = await makeSimpleImage('oci', { seed: 'listed-many-times' });
  await pushImage(reg, 'lib/repeats', undefined, image);
  const index = makeIndex({ format: 'oci', images: Array.from({ length: 200 }, () => image) });
  await pushManifestDocument(reg, 'lib/repeats', 'v1', index.manifest);
  const pool = new RegistryPool({ insecureHosts: [reg.host] });
  try {
    await syncAccessLog(reg);
    const mark = markAccessLog(reg);
    const summary = await copy(pool, reg.ref('lib/repeats', 'v1'), reg.ref('mirror/repeats', 'v1'), { referrers: false });
    assert.is(summary.digest, index.manifest.digest);
    await syncAccessLog(reg);
    const child = (method: string): number =>
      accessLogSince(mark).filter((e) => e.method === method && decodeURIComponent(e.path).endsWith(`/manifests/${image.manifest.digest}`)).length;
    assert.is(child('GET'), 1, 'fetched once');
    assert.is(child('PUT'), 1, 'pushed once');
    assert.equal(summary.manifests, { pushed: 2, present: 0 });
  } finally {
    await pool.close();
  }
});

refs.after(async () => {
  await Promise.all([plain.dispose(), basic.dispose(), token.dispose()]);
});

refs.run();
