/**
 * "Large images and many images at once stay within the configured
 * concurrency and memory bound": the real `serve` with COPY_CONCURRENCY=2
 * gets one Pod naming 8 new images at once, three of them with a 64 MiB
 * layer. From the source proxy's request log (each request's start and
 * end), no more than two images are ever being read at once, and two are
 * (the bound is used, not just respected); the serve process's RSS
 * (sampled every 50 ms), past a warm-up that copied one large image, grows
 * by less than half a large layer, so no layer is held in memory whole,
 * not even by one of the two copies; every image arrives whole (check-backup).
 */
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readRssKiB, startSampling } from '../../bench/soak-proc.js';
import { buildAdmissionReview } from '../helpers/admission-request.js';
import type { ProxyRequestRecord } from '../helpers/fault-proxy.js';
import { lazyFixture } from '../helpers/fixture.js';
import { makeLargeImage, makeSimpleImage } from '../helpers/images.js';
import { waitFor } from '../helpers/processes.js';
import { startServeWebhook } from '../helpers/serve-webhook.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dirs.js';
import { assertBackupConsistent } from './check-backup.js';
import { admitUntilRewritten, podOf, pushSource, startWebhookWorld } from './webhook-world.js';
import type { PushedImage } from './webhook-world.js';

const CONCURRENCY = 2;
const IMAGES = 8;
const LARGE = 3;
const LARGE_MIB = 64;

const world = lazyFixture(startWebhookWorld, (w) => w.stop());

const test = suite('copy concurrency and memory stay within their bounds');
test.after(() => world.dispose());

/** The most repositories with a request open at the same moment. */
function maxOverlap(records: readonly ProxyRequestRecord[]): number {
  const spans = new Map<string, { start: number; end: number }>();
  for (const r of records) {
    const repo = /^\/v2\/(.+)\/(?:manifests|blobs)\//.exec(r.path)?.[1];
    if (repo === undefined) continue;
    const span = spans.get(repo) ?? { start: r.at, end: r.at };
    span.start = Math.min(span.start, r.at);
    span.end = Math.max(span.end, r.endedAt ?? Number.POSITIVE_INFINITY);
    spans.set(repo, span);
  }
  // Sweep: +1 at each start, -1 at each end (an end before a start at the same ms).
  const events = [...spans.values()].flatMap((s) => [{ at: s.start, d: 1 }, { at: s.end, d: -1 }]);
  events.sort((a, b) => a.at - b.at || a.d - b.d);
  let open = 0;
  let max = 0;
  for (const e of events) {
    open += e.d;
    max = Math.max(max, open);
  }
  return max;
}

test(`COPY_CONCURRENCY=${CONCURRENCY}, ${IMAGES} images at once (${LARGE} with ${LARGE_MIB} MiB layers)`, async () => {
  const w = await world.get();
  const dir = makeTempDir('large-layers');
  let images: PushedImage[];
  let warm: PushedImage;
  try {
    const large = await Promise.all(
      Array.from({ length: LARGE }, (_, i) =>
        makeLargeImage({ file: join(dir, `layer-${i}.tar`), sizeMiB: LARGE_MIB, format: 'oci', seed: `bound-large-${i}` }),
      ),
    );
    const small = await Promise.all(Array.from({ length: IMAGES - LARGE }, (_, i) => makeSimpleImage('oci', { seed: `bound-small-${i}` })));
    images = [];
    for (const [i, artifact] of [...large, ...small].entries()) images.push(await pushSource(w, `bound/app-${i}`, '1.0', artifact));
    const warmImage = await makeLargeImage({ file: join(dir, 'warm.tar'), sizeMiB: LARGE_MIB, format: 'oci', seed: 'bound-warm' });
    warm = await pushSource(w, 'bound/warm', '1.0', warmImage);
  } finally {
    await removeTempDir(dir);
  }
  // Small images' blobs answer late, so that every copy lasts long enough to overlap another.
  w.sourceProxy.addRule({ method: 'GET', path: /^\/v2\/bound\/app-[3-7]\/blobs\//, action: { kind: 'delay', ms: 400 } });

  const serve = await startServeWebhook({ ...w.env, COPY_CONCURRENCY: String(CONCURRENCY), COPY_BUDGET_SECONDS: '1' }, 'serve-bound');
  try {
    const pid = serve.process.pid;
    // Warm: modules loaded, connections set up, one large copy made (the heap sized for streaming); then the baseline.
    await admitUntilRewritten(serve, w, warm, 1_000, 30_000);
    w.sourceProxy.clearRequests();
    const rssBefore = readRssKiB(pid);
    const sampling = startSampling(pid, serve.port, 50);
    const object = podOf(images.map((image) => image.ref));
    const { response, ms } = await serve.admit(buildAdmissionReview(object));
    assert.is(response.allowed, true);
    assert.ok(ms < 2_000, `answered within the budget (${ms} ms)`);
    let gaugeMax = 0;
    let runningMax = 0;
    const copied = new RegExp(`^image_cloner_copies_finished_total\\{registry="${w.sourceProxy.host.replace(/\./g, '\\.')}",outcome="copied"\\}$`);
    await waitFor(
      async () => {
        gaugeMax = Math.max(gaugeMax, (await serve.metric(/^image_cloner_copies_in_flight$/)) ?? 0);
        runningMax = Math.max(runningMax, (await serve.metric(/^image_cloner_copies_running$/)) ?? 0);
        // The warm-up's copy counts too.
        return (await serve.metric(copied)) === IMAGES + 1;
      },
      120_000,
      { intervalMs: 200, what: `${IMAGES} copies to finish` },
    );
    const peakKiB = Math.max(...sampling.stop().map((sample) => sample.rssKiB));
    const overlap = maxOverlap(w.sourceProxy.requests);
    const growthMiB = (peakKiB - rssBefore) / 1024;
    console.log(
      `  images read at once at most ${overlap}; in-flight gauge max ${gaugeMax} (queued too), running ${runningMax}; ` +
        `RSS before ${(rssBefore / 1024).toFixed(1)} MiB, peak ${(peakKiB / 1024).toFixed(1)} MiB (+${growthMiB.toFixed(1)} MiB)`,
    );
    assert.is(overlap, CONCURRENCY, `at most ${CONCURRENCY} images copied at once, and that many`);
    assert.ok(runningMax >= 1 && runningMax <= CONCURRENCY, `running gauge max ${runningMax}, at most ${CONCURRENCY}`);
    assert.ok(growthMiB < LARGE_MIB / 2, `peak RSS grew ${growthMiB.toFixed(1)} MiB; a ${LARGE_MIB} MiB layer must stream, not be held`);
  } finally {
    w.sourceProxy.clearRules();
    await serve.stop();
  }
  const report = await assertBackupConsistent(w.registries.backup);
  assert.is(report.tags, IMAGES + 1);
});

test.run();
