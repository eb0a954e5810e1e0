/**
 * MirrorService against real registries: copy, cache, present-in-backup
 * via HEADs only, digest-only anchors, a push endpoint that differs from
 * the pod-spec name, and dry runs.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { anchorTagFor } from '../../src/mirror/anchor-tag.js';
import { MirrorService } from '../../src/mirror/mirror-service.js';
import { fetchManifest, makeSimpleImage, makeTwoPlatformIndex, pushImage } from '../helpers/images.js';
import {
  catalog,
  copyRequest,
  expectReady,
  manualClock,
  mirrorPeers,
  poolFor,
  recordingObserver,
  writesTo,
} from './mirror-fixtures.js';

const peers = mirrorPeers();
const test = suite('MirrorService: copy, cache, present, anchors, endpoints, dry run');
test.after(() => peers.dispose());

const soon = (): { dryRun: boolean; deadline: number } => ({ dryRun: false, deadline: Date.now() + 20_000 });

test('an uncached image is copied byte-exact; the second ensure is a cache hit with no registry call', async () => {
  const p = await peers.get();
  const index = await makeTwoPlatformIndex('oci', { seed: 'first-copy' });
  await pushImage(p.src, 'team/web', '1.0', index);
  const request = copyRequest(p.srcProxy.ref('team/web', '1.0'), p.dstProxy.host);
  const observer = recordingObserver();
  const pool = poolFor(p);
  try {
    const mirror = new MirrorService({ pool, backupRegistry: p.dstProxy.host, observer });
    const first = await mirror.ensure([request], soon());
    assert.is(expectReady(first, request.key), index.manifest.digest);
    const held = await fetchManifest(p.dst, request.target.path, '1.0');
    assert.ok(held.bytes.equals(index.manifest.bytes), 'the backup holds the exact bytes under the tag');
    assert.is(held.contentType, index.manifest.mediaType);
    assert.equal(observer.started, [p.srcProxy.host]);
    assert.is(observer.finished.length, 1);
    assert.is(observer.finished[0]?.outcome, 'copied');
    assert.is(observer.finished[0]?.digest, index.manifest.digest);
    assert.ok((observer.finished[0]?.bytes ?? 0) > 0, 'bytes reported');
    assert.is(observer.finished[0]?.target, `${p.dstProxy.host}/${request.target.path}:1.0`);

    p.srcProxy.clearRequests();
    p.dstProxy.clearRequests();
    const second = await mirror.ensure([request, request], soon());
    assert.is(expectReady(second, request.key), index.manifest.digest);
    assert.equal(p.srcProxy.requests, [], 'no source request');
    assert.equal(p.dstProxy.requests, [], 'no backup request');
    assert.equal(observer.hits, [request.key]);
    assert.is(mirror.inFlight, 0);
  } finally {
    await pool.close();
  }
});

test('already in the backup (another replica copied it): HEADs only, outcome present', async () => {
  const p = await peers.get();
  const image = await makeSimpleImage('docker', { seed: 'present' });
  await pushImage(p.src, 'team/present', 'v2', image);
  const request = copyRequest(p.srcProxy.ref('team/present', 'v2'), p.dstProxy.host);
  const poolA = poolFor(p);
  const poolB = poolFor(p);
  try {
    await new MirrorService({ pool: poolA, backupRegistry: p.dstProxy.host }).ensure([request], soon());
    p.srcProxy.clearRequests();
    p.dstProxy.clearRequests();
    const observer = recordingObserver();
    const fresh = new MirrorService({ pool: poolB, backupRegistry: p.dstProxy.host, observer });
    const outcomes = await fresh.ensure([request], soon());
    assert.is(expectReady(outcomes, request.key), image.manifest.digest);
    assert.equal(observer.finished.map((e) => e.outcome), ['present']);
    const methods = (proxy: typeof p.srcProxy): string[] =>
      proxy.requests.filter((r) => r.path !== '/v2/').map((r) => r.method);
    assert.equal(methods(p.srcProxy), ['HEAD'], 'one HEAD of the source tag, nothing else');
    assert.equal(methods(p.dstProxy), ['HEAD', 'HEAD'], 'the digest, then the tag');
    assert.equal(p.dstProxy.requestsTo('HEAD', /\/blobs\//), [], 'no blob traffic');
  } finally {
    await poolA.close();
    await poolB.close();
  }
});

test('in the backup by digest but not under the tag: the tag is written from the backup bytes', async () => {
  const p = await peers.get();
  const image = await makeSimpleImage('oci', { seed: 'retag' });
  await pushImage(p.src, 'team/retag', 'new', image);
  const request = copyRequest(p.srcProxy.ref('team/retag', 'new'), p.dstProxy.host);
  await pushImage(p.dst, request.target.path, 'old', image);
  const pool = poolFor(p);
  try {
    p.srcProxy.clearRequests();
    const observer = recordingObserver();
    const mirror = new MirrorService({ pool, backupRegistry: p.dstProxy.host, observer });
    assert.is(expectReady(await mirror.ensure([request], soon()), request.key), image.manifest.digest);
    assert.equal(p.srcProxy.requestsTo('GET', /./), [], 'nothing read from the source');
    assert.is((await fetchManifest(p.dst, request.target.path, 'new')).digest, image.manifest.digest);
    assert.equal(observer.finished.map((e) => e.outcome), ['present']);
  } finally {
    await pool.close();
  }
});

test('a digest-only source is pushed by digest and kept by its anchor tag; the result never expires', async () => {
  const p = await peers.get();
  const image = await makeSimpleImage('oci', { seed: 'digest-only' });
  const { digest } = await pushImage(p.src, 'team/pinned', 'build-7', image);
  const request = copyRequest(p.srcProxy.ref('team/pinned', digest), p.dstProxy.host);
  assert.is(request.target.tag, undefined);
  const clock = manualClock();
  const pool = poolFor(p);
  try {
    p.srcProxy.clearRequests();
    const mirror = new MirrorService({ pool, backupRegistry: p.dstProxy.host, now: clock.now, tagTtlMs: 1_000 });
    const deadline = (): { dryRun: boolean; deadline: number } => ({ dryRun: false, deadline: clock.now() + 20_000 });
    assert.is(expectReady(await mirror.ensure([request], deadline()), request.key), digest);
    const anchor = anchorTagFor(digest);
    assert.is(anchor, `mirror-sha256-${digest.slice('sha256:'.length)}`);
    assert.is((await fetchManifest(p.dst, request.target.path, digest)).digest, digest, 'by digest');
    assert.is((await fetchManifest(p.dst, request.target.path, anchor)).digest, digest, 'under the anchor tag');
    // The referrer lookups (sha256-<hex> fallback and cosign tags) are HEADs of other tags, not of the image.
    assert.equal(p.srcProxy.requestsTo('HEAD', /\/manifests\/(?!sha256-)/), [], 'its own digest needs no source HEAD');

    clock.advance(365 * 24 * 3600_000);
    p.srcProxy.clearRequests();
    p.dstProxy.clearRequests();
    assert.is(expectReady(await mirror.ensure([request], deadline()), request.key), digest);
    assert.equal([...p.srcProxy.requests, ...p.dstProxy.requests], [], 'content-addressed: still cached');
  } finally {
    await pool.close();
  }
});

test('pushes go to the backup endpoint while targets keep the pod-spec name', async () => {
  const p = await peers.get();
  const image = await makeSimpleImage('docker', { seed: 'endpoint' });
  await pushImage(p.src, 'team/kind', 'v1', image);
  // Resolves nowhere (RFC 6761 .invalid): any request sent to it fails the copy.
  const podSpecName = 'backup.invalid:5000';
  const request = copyRequest(p.srcProxy.ref('team/kind', 'v1'), podSpecName);
  assert.is(request.target.domain, podSpecName);
  const observer = recordingObserver();
  const pool = poolFor(p);
  try {
    const mirror = new MirrorService({ pool, backupRegistry: podSpecName, backupEndpoint: p.dstProxy.host, observer });
    assert.is(expectReady(await mirror.ensure([request], soon()), request.key), image.manifest.digest);
    assert.is((await fetchManifest(p.dst, request.target.path, 'v1')).digest, image.manifest.digest);
    assert.is(observer.finished[0]?.target, `${podSpecName}/${request.target.path}:v1`);
  } finally {
    await pool.close();
  }
});

test('the tag moved between the HEAD and the copy: the answer is what the backup now holds', async () => {
  const p = await peers.get();
  const old = await makeSimpleImage('oci', { seed: 'race-old' });
  const current = await makeSimpleImage('oci', { seed: 'race-new' });
  await pushImage(p.src, 'team/race', 'v1', current);
  const request = copyRequest(p.srcProxy.ref('team/race', 'v1'), p.dstProxy.host);
  // The HEAD still saw the old manifest; by the time the copy reads the tag, it names the new one.
  const head = p.srcProxy.addRule({
    method: 'HEAD',
    path: /\/team\/race\/manifests\/v1$/,
    times: 1,
    action: { kind: 'respond', status: 200, headers: { 'docker-content-digest': old.manifest.digest }, body: '' },
  });
  const pool = poolFor(p);
  try {
    const mirror = new MirrorService({ pool, backupRegistry: p.dstProxy.host });
    assert.is(expectReady(await mirror.ensure([request], soon()), request.key), current.manifest.digest);
    assert.is(head.hits, 1, 'the stale HEAD was served');
    assert.is((await fetchManifest(p.dst, request.target.path, 'v1')).digest, current.manifest.digest);
  } finally {
    p.srcProxy.clearRules();
    await pool.close();
  }
});

test('dry run: the would-be digest, no write, nothing cached; unknown source -> failed', async () => {
  const p = await peers.get();
  const image = await makeSimpleImage('oci', { seed: 'dry-run' });
  await pushImage(p.src, 'team/dry', 'v1', image);
  const request = copyRequest(p.srcProxy.ref('team/dry', 'v1'), p.dstProxy.host);
  const missing = copyRequest(p.srcProxy.ref('team/dry', 'no-such-tag'), p.dstProxy.host);
  const observer = recordingObserver();
  const pool = poolFor(p);
  try {
    const mirror = new MirrorService({ pool, backupRegistry: p.dstProxy.host, observer });
    p.dstProxy.clearRequests();
    const dry = await mirror.ensure([request, missing], { dryRun: true, deadline: Date.now() + 20_000 });
    assert.is(expectReady(dry, request.key), image.manifest.digest);
    assert.is(dry.get(missing.key)?.status, 'failed');
    assert.equal(writesTo(p.dstProxy), [], 'no write to the backup');
    assert.not.ok((await catalog(p.dst)).includes(request.target.path), 'no repository created');
    assert.equal(observer.started, [], 'no copy started');

    const real = await mirror.ensure([request], soon());
    assert.is(expectReady(real, request.key), image.manifest.digest);
    assert.equal(observer.hits, [], 'the dry run left nothing in the cache');
    assert.equal(observer.finished.map((e) => e.outcome), ['copied']);
  } finally {
    await pool.close();
  }
});

test.run();
