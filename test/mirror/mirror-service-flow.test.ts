/**
 * MirrorService under load and time pressure: single-flight, deadlines with
 * background completion, drain, and the bounded queue. Delays are injected
 * by the fault proxy in front of the source registry.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MirrorService, QUEUE_FULL_REASON } from '../../src/mirror/mirror-service.js';
import { makeSimpleImage, pushImage } from '../helpers/images.js';
import { copyRequest, expectReady, mirrorPeers, poolFor, recordingObserver } from './mirror-fixtures.js';

const peers = mirrorPeers();
const test = suite('MirrorService: single-flight, deadline, drain, queue bound');
test.after(() => peers.dispose());
test.before.each(async () => {
  const p = await peers.get();
  p.srcProxy.clearRules();
});

test('20 concurrent ensure() calls (and a duplicate inside one call) share one copy', async () => {
  const p = await peers.get();
  const image = await makeSimpleImage('oci', { seed: 'crowd' });
  await pushImage(p.src, 'team/crowd', 'v1', image);
  const request = copyRequest(p.srcProxy.ref('team/crowd', 'v1'), p.dstProxy.host);
  // Slow blobs keep the first task running while every call arrives.
  p.srcProxy.addRule({ method: 'GET', path: /\/blobs\//, action: { kind: 'delay', ms: 200 } });
  const observer = recordingObserver();
  const pool = poolFor(p);
  try {
    p.dstProxy.clearRequests();
    const mirror = new MirrorService({ pool, backupRegistry: p.dstProxy.host, observer });
    const deadline = Date.now() + 20_000;
    const calls = Array.from({ length: 20 }, () => mirror.ensure([request, request], { dryRun: false, deadline }));
    assert.is(mirror.inFlight, 1);
    const results = await Promise.all(calls);
    for (const outcomes of results) assert.is(expectReady(outcomes, request.key), image.manifest.digest);
    assert.is(observer.started.length, 1, 'one copy started');
    assert.is(p.dstProxy.requestsTo('PUT', /\/manifests\/v1$/).length, 1, 'one manifest PUT by tag');
    assert.is(p.srcProxy.requestsTo('HEAD', /\/manifests\/v1$/).length, 1, 'one source HEAD');
  } finally {
    await pool.close();
  }
});

test('past the deadline: pending at the deadline, the copy finishes in the background, then a cache hit', async () => {
  const p = await peers.get();
  const image = await makeSimpleImage('docker', { seed: 'late' });
  await pushImage(p.src, 'team/late', 'v1', image);
  const request = copyRequest(p.srcProxy.ref('team/late', 'v1'), p.dstProxy.host);
  p.srcProxy.addRule({ method: 'GET', path: /\/blobs\//, action: { kind: 'delay', ms: 1_500 } });
  const observer = recordingObserver();
  const pool = poolFor(p);
  try {
    const mirror = new MirrorService({ pool, backupRegistry: p.dstProxy.host, observer });
    const budget = 300;
    const started = Date.now();
    const outcomes = await mirror.ensure([request], { dryRun: false, deadline: started + budget });
    const elapsed = Date.now() - started;
    assert.equal(outcomes.get(request.key), { status: 'pending' });
    assert.ok(elapsed >= budget - 5 && elapsed < budget + 150, `answered after ${elapsed} ms`);
    assert.is(mirror.inFlight, 1, 'the copy goes on');

    assert.is(await mirror.drain(100), false, 'not finished within 100 ms');
    assert.is(await mirror.drain(20_000), true);
    assert.is(mirror.inFlight, 0);
    assert.equal(observer.finished.map((e) => e.outcome), ['copied']);

    p.srcProxy.clearRequests();
    const next = await mirror.ensure([request], { dryRun: false, deadline: Date.now() + 1_000 });
    assert.is(expectReady(next, request.key), image.manifest.digest);
    assert.equal(observer.hits, [request.key]);
    assert.equal(p.srcProxy.requests, []);
  } finally {
    await pool.close();
  }
});

test('a deadline already past answers pending at once and still starts the copy', async () => {
  const p = await peers.get();
  const image = await makeSimpleImage('oci', { seed: 'past' });
  await pushImage(p.src, 'team/past', 'v1', image);
  const request = copyRequest(p.srcProxy.ref('team/past', 'v1'), p.dstProxy.host);
  const pool = poolFor(p);
  try {
    const mirror = new MirrorService({ pool, backupRegistry: p.dstProxy.host });
    const outcomes = await mirror.ensure([request], { dryRun: false, deadline: Date.now() - 1 });
    assert.equal(outcomes.get(request.key), { status: 'pending' });
    assert.is(await mirror.drain(20_000), true);
    const next = await mirror.ensure([request], { dryRun: false, deadline: Date.now() - 1 });
    assert.is(expectReady(next, request.key), image.manifest.digest);
  } finally {
    await pool.close();
  }
});

test('queue bound: 1 running + 1 queued; the third distinct image fails at once, uncached', async () => {
  const p = await peers.get();
  const requests = [];
  for (const name of ['q1', 'q2', 'q3']) {
    await pushImage(p.src, `team/${name}`, 'v1', await makeSimpleImage('oci', { seed: name }));
    requests.push(copyRequest(p.srcProxy.ref(`team/${name}`, 'v1'), p.dstProxy.host));
  }
  const [first, second, third] = requests;
  assert.ok(first !== undefined && second !== undefined && third !== undefined);
  p.srcProxy.addRule({ method: 'HEAD', path: /\/manifests\//, action: { kind: 'delay', ms: 300 } });
  const pool = poolFor(p);
  try {
    const mirror = new MirrorService({ pool, backupRegistry: p.dstProxy.host, copyConcurrency: 1, maxQueued: 1 });
    const started = Date.now();
    const outcomes = await mirror.ensure(requests, { dryRun: false, deadline: Date.now() + 20_000 });
    assert.equal(outcomes.get(third.key), { status: 'failed', reason: QUEUE_FULL_REASON });
    expectReady(outcomes, first.key);
    expectReady(outcomes, second.key);
    assert.ok(Date.now() - started >= 600, 'one at a time: the two copies ran one after the other');

    // A full queue says nothing about the image: it is not remembered as a failure.
    expectReady(await mirror.ensure([third], { dryRun: false, deadline: Date.now() + 20_000 }), third.key);
  } finally {
    await pool.close();
  }
});

test.run();
