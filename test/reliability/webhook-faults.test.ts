/**
 * The webhook under registry faults, through the real `serve` process with
 * a one-second COPY_BUDGET: the source behind the fault proxy (never
 * answers, slow body, 503s, connection dropped mid-blob), and the backup
 * registry itself stopped and started again on the same port and storage.
 * For each: the admission is answered within the budget (measured), allowed
 * with the original image and one warning naming it; once the fault heals
 * the background copy finishes and a later admission is rewritten; and the
 * backup stays consistent (check-backup.ts).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { FaultRule } from '../helpers/fault-proxy.js';
import { lazyFixture } from '../helpers/fixture.js';
import { makeImage, makeLayer } from '../helpers/images.js';
import { startServeWebhook } from '../helpers/serve-webhook.js';
import type { ServeWebhook } from '../helpers/serve-webhook.js';
import { assertBackupConsistent } from './check-backup.js';
import { admitDegraded, admitUntilRewritten, pushSource, startWebhookWorld } from './webhook-world.js';
import type { PushedImage, WebhookWorld } from './webhook-world.js';

const BUDGET_MS = 1_000;

const world = lazyFixture(startWebhookWorld, (w) => w.stop());
const serve = lazyFixture<ServeWebhook>(
  async () => startServeWebhook({ ...(await world.get()).env, COPY_BUDGET_SECONDS: String(BUDGET_MS / 1000) }, 'serve-faults'),
  (s) => s.stop(),
);

/** Every admission's answer time, for the report. */
const answered: number[] = [];
let seq = 0;
async function freshImage(w: WebhookWorld, name: string, layerBytes = 0): Promise<FaultedImage> {
  seq++;
  const layer =
    layerBytes === 0
      ? await makeLayer({ files: { 'etc/seed': `webhook-faults-${name}-${seq}\n` } })
      : await makeLayer({ sizeBytes: layerBytes, incompressible: true, seed: `webhook-faults-${name}`, gzip: false });
  const image = await pushSource(w, `faults/${name}`, '1.0', makeImage({ format: 'oci', layers: [layer] }));
  return { ...image, layer: layer.digest };
}

interface FaultedImage extends PushedImage {
  readonly layer: string;
}

const blobsOf = (image: PushedImage): RegExp => new RegExp(`^/v2/${image.repo}/blobs/sha256:`);
const layerOf = (image: FaultedImage): RegExp => new RegExp(`^/v2/${image.repo}/blobs/${image.layer}$`);
const manifestsOf = (image: PushedImage): RegExp => new RegExp(`^/v2/${image.repo}/manifests/`);

interface SourceFault {
  readonly name: string;
  readonly layerBytes?: number;
  readonly rules: (image: FaultedImage) => FaultRule[];
  /** What ends the fault after the first answer; nothing when the rules run out by themselves. */
  readonly heal?: (w: WebhookWorld) => void;
}

const SOURCE_FAULTS: SourceFault[] = [
  {
    name: 'hang',
    rules: (image) => [{ path: manifestsOf(image), action: { kind: 'hang' } }],
    // The registry "restarts": rules gone, the stuck connections reset, so the copy's retry gets through.
    heal: (w) => {
      w.sourceProxy.clearRules();
      assert.ok(w.sourceProxy.resetHanging() >= 1, 'a request was hanging');
    },
  },
  { name: 'slow', layerBytes: 200_000, rules: (image) => [{ method: 'GET', path: blobsOf(image), action: { kind: 'throttle', bytesPerSecond: 80_000 } }] },
  // Four 503s, then the fifth attempt succeeds (DEFAULT_BACKOFF: five attempts, at least 1.5 s of pauses).
  { name: 'unavailable', rules: (image) => [{ path: manifestsOf(image), times: 4, action: { kind: 'status', status: 503 } }] },
  {
    name: 'drop',
    layerBytes: 300_000,
    // Headers, a third of the body, then a reset: four times (at least 1.5 s of backoff), then whole.
    rules: (image) => [{ method: 'GET', path: layerOf(image), times: 4, action: { kind: 'drop', afterBytes: 100_000 } }],
  },
];

const test = suite('webhook under registry faults: answered within the budget, copies finish after');
test.after(async () => {
  await serve.dispose();
  await world.dispose();
});

for (const fault of SOURCE_FAULTS) {
  test(`source ${fault.name}: original image with a warning in time; rewritten once the copy finishes`, async () => {
    const w = await world.get();
    const s = await serve.get();
    const image = await freshImage(w, fault.name, fault.layerBytes);
    const handles = fault.rules(image).map((rule) => w.sourceProxy.addRule(rule));
    try {
      answered.push(await admitDegraded(s, image, BUDGET_MS));
      fault.heal?.(w);
      const { ms, answers } = await admitUntilRewritten(s, w, image, BUDGET_MS, 20_000);
      answered.push(...answers);
      const faulted = w.sourceProxy.requests.filter((r) => r.fault !== undefined && r.path.startsWith(`/v2/${image.repo}/`)).length;
      assert.ok(faulted >= 1, 'the fault was applied');
      console.log(`  source ${fault.name}: ${faulted} faulted requests; rewritten ${ms} ms after the first answer`);
    } finally {
      for (const handle of handles) handle.remove();
    }
    await assertBackupConsistent(w.registries.backup);
  });
}

test('backup registry stopped: original image with a warning in time; started again on the same port, the copy completes', async () => {
  const w = await world.get();
  const s = await serve.get();
  const image = await freshImage(w, 'backup-down');
  await w.registries.backup.halt();
  try {
    answered.push(await admitDegraded(s, image, BUDGET_MS));
  } finally {
    await w.registries.backup.resume();
  }
  // Retried within the copy's own attempts, or (when they ran out first) after the 30 s failure TTL.
  const { ms, answers } = await admitUntilRewritten(s, w, image, BUDGET_MS, 45_000);
  answered.push(...answers);
  console.log(`  backup down: rewritten ${ms} ms after the registry came back`);
  const report = await assertBackupConsistent(w.registries.backup);
  console.log(`  backup consistent: ${report.tags} tags, ${report.blobs} blobs; answers took ${Math.min(...answered)}..${Math.max(...answered)} ms over ${answered.length} admissions`);
});

test.run();
