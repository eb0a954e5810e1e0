/**
 * The webhook's copies (MirrorService -> mirrorImage -> copyImage) bring the
 * referrers along, and `serve`'s observer counts them in
 * image_cloner_referrers_total and logs a failed one; COPY_REFERRERS=false
 * (MirrorService `referrers: false`) copies the image alone.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MirrorService } from '../../src/mirror/mirror-service.js';
import { RegistryPool } from '../../src/registry/registry-pool.js';
import { createLogger } from '../../src/server/logger.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { createMirrorObserver } from '../../src/server/mirror-events.js';
import { cosignSignatureTag, fallbackTag, hasManifest } from '../helpers/artifacts.js';
import { lazyFixture } from '../helpers/fixture.js';
import { fetchManifest, pushImage } from '../helpers/images.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { makeSupplyChain, pushSupplyChain } from '../helpers/supply-chain.js';
import { copyRequest, expectReady } from './mirror-fixtures.js';

interface Peers {
  readonly source: TestRegistry;
  readonly backup: TestRegistry;
}

const peers = lazyFixture<Peers>(
  async () => {
    const [source, backup] = await Promise.all([startRegistry({ auth: 'none' }), startRegistry({ auth: 'none' })]);
    return { source, backup };
  },
  async (p) => {
    await Promise.all([p.source.stop(), p.backup.stop()]);
  },
);

interface Webhook {
  readonly mirror: MirrorService;
  readonly metrics: ServerMetrics;
  readonly lines: string[];
  readonly pool: RegistryPool;
}

function webhook(p: Peers, referrers?: boolean): Webhook {
  const pool = new RegistryPool({ insecureHosts: [p.source.host, p.backup.host] });
  const metrics = new ServerMetrics();
  const lines: string[] = [];
  const logger = createLogger({ write: (line) => lines.push(line) });
  const mirror = new MirrorService({
    pool,
    backupRegistry: p.backup.host,
    observer: createMirrorObserver(metrics, logger),
    ...(referrers === undefined ? {} : { referrers }),
  });
  return { mirror, metrics, lines, pool };
}

async function ensure(w: Webhook, p: Peers, source: string): Promise<string> {
  const request = copyRequest(source, p.backup.host);
  const outcomes = await w.mirror.ensure([request], { dryRun: false, deadline: Date.now() + 60_000 });
  return expectReady(outcomes, request.key);
}

function counter(text: string, registry: string, outcome: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`image_cloner_referrers_total{registry="${registry}",outcome="${outcome}"}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

const test = suite('webhook copies and referrers');
test.after(() => peers.dispose());

test('the mirror path copies referrers byte-exact and counts them per source registry', async () => {
  const p = await peers.get();
  const chain = await makeSupplyChain('webhook', `${p.source.host}/hook/app`);
  await pushSupplyChain(p.source, 'hook/app', 'v1', chain);
  const w = webhook(p);
  try {
    const digest = await ensure(w, p, p.source.ref('hook/app', 'v1'));
    assert.is(digest, chain.index.manifest.digest, 'the webhook rewrites to the copy');
    const repo = `${p.source.host.replace(':', '_')}/hook/app`;
    for (const artifact of chain.artifacts) {
      const fetched = await fetchManifest(p.backup, repo, artifact.manifest.digest);
      assert.ok(fetched.bytes.equals(artifact.manifest.bytes), artifact.manifest.digest);
    }
    assert.ok(await hasManifest(p.backup, repo, cosignSignatureTag(chain.index.manifest.digest)));
    const { body } = await w.metrics.render();
    assert.is(counter(body, p.source.host, 'copied'), 4, body);
    assert.is(counter(body, p.source.host, 'failed'), undefined);
    assert.match(w.lines.join(''), /"msg":"copy finished".*"referrers":\{"copied":4,"present":0,"failed":0\}/);
  } finally {
    await w.pool.close();
  }
});

test('a referrer failure: the webhook still gets the copy, the metric and a warning say so', async () => {
  const p = await peers.get();
  const chain = await makeSupplyChain('webhook-broken', `${p.source.host}/hook/broken`);
  await pushSupplyChain(p.source, 'hook/broken', 'v1', chain);
  await pushImage(p.source, 'hook/broken', fallbackTag(chain.amd64.manifest.digest), chain.cosignSignature);
  const w = webhook(p);
  try {
    const digest = await ensure(w, p, p.source.ref('hook/broken', 'v1'));
    assert.is(digest, chain.index.manifest.digest);
    const { body } = await w.metrics.render();
    assert.is(counter(body, p.source.host, 'failed'), 1, body);
    assert.is(counter(body, p.source.host, 'copied'), 3, body);
    assert.match(w.lines.join(''), /"level":"warn".*"msg":"referrers not copied"/);
  } finally {
    await w.pool.close();
  }
});

test('referrers off (COPY_REFERRERS=false): the image alone, nothing counted', async () => {
  const p = await peers.get();
  const chain = await makeSupplyChain('webhook-off', `${p.source.host}/hook/off`);
  await pushSupplyChain(p.source, 'hook/off', 'v1', chain);
  const w = webhook(p, false);
  try {
    await ensure(w, p, p.source.ref('hook/off', 'v1'));
    const repo = `${p.source.host.replace(':', '_')}/hook/off`;
    assert.ok(await hasManifest(p.backup, repo, 'v1'));
    assert.is(await hasManifest(p.backup, repo, chain.sbom.manifest.digest), false);
    assert.is(await hasManifest(p.backup, repo, fallbackTag(chain.index.manifest.digest)), false);
    const { body } = await w.metrics.render();
    assert.not.match(body, /image_cloner_referrers_total\{/);
  } finally {
    await w.pool.close();
  }
});

test.run();
