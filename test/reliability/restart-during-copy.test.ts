/**
 * A webhook process killed (SIGKILL: no drain, no cancel) while a copy is
 * mid-flight, its upload to the backup half done: a new process against the
 * same registries completes the image on the next admission, the partial
 * state left behind does no harm (the backup stays consistent, no tag was
 * written early), and another fresh process (the other replica) rewrites on
 * its very first admission, since the copy is already in the backup.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildAdmissionReview } from '../helpers/admission-request.js';
import { lazyFixture } from '../helpers/fixture.js';
import { makeImage, makeLayer } from '../helpers/images.js';
import { waitFor } from '../helpers/processes.js';
import { startServeWebhook } from '../helpers/serve-webhook.js';
import { assertBackupConsistent, checkBackup, openUploads } from './check-backup.js';
import { admitDegraded, admitUntilRewritten, admittedImage, backupRefOf, podOf, pushSource, startWebhookWorld } from './webhook-world.js';

const BUDGET_MS = 1_000;
const LAYER_BYTES = 2_000_000;
/** 2 MB at 400 kB/s: five seconds of copy, plenty of time to kill it in the middle. */
const THROTTLE = 400_000;

const world = lazyFixture(startWebhookWorld, (w) => w.stop());

const test = suite('restart during a copy');
test.after(() => world.dispose());

test('SIGKILL mid-copy: the next process completes the image; the backup stays consistent; the other replica rewrites at once', async () => {
  const w = await world.get();
  const layer = await makeLayer({ sizeBytes: LAYER_BYTES, incompressible: true, seed: 'restart-during-copy', gzip: false });
  const image = await pushSource(w, 'restart/app', '1.0', makeImage({ format: 'oci', layers: [layer] }));
  const layerPath = new RegExp(`^/v2/restart/app/blobs/${layer.digest}$`);
  const env = { ...w.env, COPY_BUDGET_SECONDS: String(BUDGET_MS / 1000) };

  const first = await startServeWebhook(env, 'serve-killed');
  const throttle = w.sourceProxy.addRule({ method: 'GET', path: layerPath, action: { kind: 'throttle', bytesPerSecond: THROTTLE } });
  try {
    await admitDegraded(first, image, BUDGET_MS);
    // Mid-flight: the layer is streaming from the source into an open upload at the backup.
    await waitFor(() => w.sourceProxy.requestsTo('GET', layerPath).length > 0, 5_000, { what: 'the layer read' });
    await waitFor(async () => (await openUploads(w.registries.backup)).length > 0, 5_000, { what: 'an open upload at the backup' });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    process.kill(first.process.pid, 'SIGKILL');
    const exit = await first.process.exited;
    assert.is(exit.signal, 'SIGKILL');
  } finally {
    throttle.remove();
    await first.stop();
  }

  // What the killed process left: an upload session, and no tag.
  const left = await openUploads(w.registries.backup);
  assert.ok(left.length >= 1, 'the killed copy left its upload open');
  const before = await assertBackupConsistent(w.registries.backup);
  assert.is(before.tags, 0, 'no tag before the image is whole');

  const second = await startServeWebhook(env, 'serve-restarted');
  try {
    const { ms } = await admitUntilRewritten(second, w, image, BUDGET_MS, 20_000);
    console.log(`  restarted process: rewritten after ${ms} ms; upload sessions left by the killed one: ${left.length}`);
  } finally {
    await second.stop();
  }
  const after = await assertBackupConsistent(w.registries.backup);
  assert.is(after.tags, 1);
  assert.is(after.blobs, 2, 'config and layer, checked by digest and size');

  // The other replica: a fresh process, nothing cached; the copy is already whole.
  const replica = await startServeWebhook(env, 'serve-replica');
  try {
    const object = podOf([image.ref]);
    const { response, ms } = await replica.admit(buildAdmissionReview(object));
    assert.is(admittedImage(object, response), backupRefOf(w, image), response.warnings.join(' | '));
    assert.ok(ms < BUDGET_MS, `answered in ${ms} ms`);
  } finally {
    await replica.stop();
  }
  assert.equal((await checkBackup(w.registries.backup)).problems, []);
});

test.run();
