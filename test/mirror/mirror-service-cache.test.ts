/**
 * MirrorService's result cache with an injected clock: a moved tag is
 * noticed only after tagTtlMs, a failure is not retried before failureTtlMs,
 * and the cache is bounded.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MirrorService } from '../../src/mirror/mirror-service.js';
import { fetchManifest, makeSimpleImage, pushImage } from '../helpers/images.js';
import { copyRequest, expectReady, manualClock, mirrorPeers, poolFor, recordingObserver } from './mirror-fixtures.js';

const peers = mirrorPeers();
const test = suite('MirrorService: tag TTL, failure TTL, bounded cache');
test.after(() => peers.dispose());

test('a moved tag: the cached digest until tagTtlMs, then the new one is copied', async () => {
  const p = await peers.get();
  const v1 = await makeSimpleImage('oci', { seed: 'moving-1' });
  const v2 = await makeSimpleImage('oci', { seed: 'moving-2' });
  await pushImage(p.src, 'team/moving', 'stable', v1);
  const request = copyRequest(p.srcProxy.ref('team/moving', 'stable'), p.dstProxy.host);
  const clock = manualClock();
  const ttl = 60_000;
  const pool = poolFor(p);
  try {
    const mirror = new MirrorService({ pool, backupRegistry: p.dstProxy.host, now: clock.now, tagTtlMs: ttl });
    const ensure = (): ReturnType<MirrorService['ensure']> =>
      mirror.ensure([request], { dryRun: false, deadline: clock.now() + 20_000 });
    assert.is(expectReady(await ensure(), request.key), v1.manifest.digest);

    await pushImage(p.src, 'team/moving', 'stable', v2);
    p.srcProxy.clearRequests();
    clock.advance(ttl - 1);
    assert.is(expectReady(await ensure(), request.key), v1.manifest.digest, 'still cached');
    assert.equal(p.srcProxy.requests, []);

    clock.advance(1);
    assert.is(expectReady(await ensure(), request.key), v2.manifest.digest, 'expired: the new digest');
    assert.is((await fetchManifest(p.dst, request.target.path, 'stable')).digest, v2.manifest.digest);
  } finally {
    await pool.close();
  }
});

test('a failure names the image, is served from the cache until failureTtlMs, then tried again', async () => {
  const p = await peers.get();
  const request = copyRequest(p.srcProxy.ref('team/later', 'v9'), p.dstProxy.host);
  const clock = manualClock();
  const observer = recordingObserver();
  const pool = poolFor(p);
  try {
    const mirror = new MirrorService({
      pool,
      backupRegistry: p.dstProxy.host,
      now: clock.now,
      failureTtlMs: 30_000,
      observer,
    });
    const ensure = (): ReturnType<MirrorService['ensure']> =>
      mirror.ensure([request], { dryRun: false, deadline: clock.now() + 20_000 });
    const first = (await ensure()).get(request.key);
    assert.is(first?.status, 'failed');
    const reason = first?.status === 'failed' ? first.reason : '';
    assert.ok(reason.includes(`${p.srcProxy.host}/team/later:v9`), reason);
    assert.equal(observer.finished.map((e) => [e.outcome, e.error]), [['failed', reason]]);

    p.srcProxy.clearRequests();
    p.dstProxy.clearRequests();
    clock.advance(29_999);
    assert.equal((await ensure()).get(request.key), first, 'the cached failure');
    assert.equal([...p.srcProxy.requests, ...p.dstProxy.requests], [], 'no registry call');
    assert.equal(observer.hits, [request.key]);

    // The image appears; once the failure expires it is tried again and copied.
    const image = await makeSimpleImage('docker', { seed: 'later' });
    await pushImage(p.src, 'team/later', 'v9', image);
    clock.advance(1);
    assert.is(expectReady(await ensure(), request.key), image.manifest.digest);
    assert.ok(p.srcProxy.requestsTo('HEAD', /\/manifests\/v9$/).length === 1, 'asked the source again');
  } finally {
    await pool.close();
  }
});

test('the cache is bounded: the least recently used result is forgotten', async () => {
  const p = await peers.get();
  const requests = [];
  for (const name of ['lru-a', 'lru-b']) {
    await pushImage(p.src, `team/${name}`, 'v1', await makeSimpleImage('oci', { seed: name }));
    requests.push(copyRequest(p.srcProxy.ref(`team/${name}`, 'v1'), p.dstProxy.host));
  }
  const [a, b] = requests;
  assert.ok(a !== undefined && b !== undefined);
  const observer = recordingObserver();
  const pool = poolFor(p);
  try {
    const mirror = new MirrorService({ pool, backupRegistry: p.dstProxy.host, cacheSize: 1, observer });
    const deadline = Date.now() + 20_000;
    await mirror.ensure([a], { dryRun: false, deadline });
    await mirror.ensure([b], { dryRun: false, deadline });
    await mirror.ensure([b], { dryRun: false, deadline });
    assert.equal(observer.hits, [b.key]);
    p.srcProxy.clearRequests();
    expectReady(await mirror.ensure([a], { dryRun: false, deadline }), a.key);
    assert.equal(observer.hits, [b.key], 'a was evicted');
    assert.is(p.srcProxy.requestsTo('HEAD', /\/team\/lru-a\/manifests\/v1$/).length, 1, 'a was checked again');
    assert.equal(observer.finished.map((e) => e.outcome), ['copied', 'copied', 'present']);
  } finally {
    await pool.close();
  }
});

test('ready(): answers at once only when every image is a cached, unexpired READY; never a failure', async () => {
  const p = await peers.get();
  const image = await makeSimpleImage('oci', { seed: 'ready-peek' });
  await pushImage(p.src, 'team/peek', 'v1', image);
  const present = copyRequest(p.srcProxy.ref('team/peek', 'v1'), p.dstProxy.host);
  const missing = copyRequest(p.srcProxy.ref('team/peek-missing', 'v1'), p.dstProxy.host);
  const clock = manualClock();
  const observer = recordingObserver();
  const pool = poolFor(p);
  try {
    const mirror = new MirrorService({ pool, backupRegistry: p.dstProxy.host, now: clock.now, tagTtlMs: 60_000, observer });
    assert.is(mirror.ready([present]), undefined, 'nothing cached yet');
    const options = { dryRun: false, deadline: clock.now() + 20_000 };
    expectReady(await mirror.ensure([present], options), present.key);
    const failed = await mirror.ensure([missing], options);
    assert.is(failed.get(missing.key)?.status, 'failed');

    p.srcProxy.clearRequests();
    observer.hits.length = 0;
    const outcomes = mirror.ready([present, present]);
    assert.equal(outcomes?.get(present.key), { status: 'ready', digest: image.manifest.digest });
    assert.equal(observer.hits, [present.key], 'one cache hit per distinct image');
    assert.is(mirror.ready([present, missing]), undefined, 'a cached failure is for ensure() to judge');
    assert.equal(p.srcProxy.requests, [], 'no registry call');
    clock.advance(60_000);
    assert.is(mirror.ready([present]), undefined, 'an expired tag result');
  } finally {
    await pool.close();
  }
});

test.run();
