/**
 * End to end, the webhook's promises under load and trouble, through the
 * real `node dist/cli.js serve` (real TLS for the Service name) and real
 * registries: a plain-HTTP source and a TLS + htpasswd backup. The webhook
 * reaches the backup through a TLS fault proxy given as
 * BACKUP_REGISTRY_ENDPOINT (pod specs keep the backup's own name), so every
 * request it makes there is counted; a plain-HTTP fault proxy in front of
 * the source slows blob reads for the deadline test. The registries' own
 * access logs confirm what did not happen ("no request at all").
 *
 * Single-flight, deadline with background completion, dry run, UPDATE
 * semantics, images already in the backup, strict mode, exclusion, and
 * hostile bodies (never a 500).
 */
import { FLUSH_DELAY_MS } from '../../src/server/line-batcher.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { applyPatch } from '../core/apply-patch.js';
import { isRecord, valueAt } from '../core/k8s-fixtures.js';
import { buildAdmissionReview } from '../helpers/admission-request.js';
import type { ReadResponse } from '../helpers/admission-response.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import type { FaultProxy } from '../helpers/fault-proxy.js';
import { lazyFixture } from '../helpers/fixture.js';
import { httpsRequest } from '../helpers/https-client.js';
import { fetchManifest, makeSimpleImage, makeTwoPlatformIndex, pushImage } from '../helpers/images.js';
import type { TestImage, TestIndex } from '../helpers/images.js';
import { expectedBackupRef, expectedBackupRepo, startMirrorWorld, writeDockerConfig } from '../helpers/mirror-world.js';
import type { MirrorWorld } from '../helpers/mirror-world.js';
import { waitFor } from '../helpers/processes.js';
import { accessLogSince, markAccessLog, syncAccessLog } from '../helpers/registry-access-log.js';
import { startServeWebhook } from '../helpers/serve-webhook.js';
import type { ServeWebhook } from '../helpers/serve-webhook.js';

const ANNOTATION = 'image-cloner.io/original-images';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface Pushed {
  readonly repo: string;
  readonly tag: string;
  readonly digest: string;
}

interface World {
  readonly registries: MirrorWorld;
  /** TLS, in front of the backup: BACKUP_REGISTRY_ENDPOINT. */
  readonly backupProxy: FaultProxy;
  /** Plain HTTP, in front of the source. */
  readonly sourceProxy: FaultProxy;
  readonly env: Readonly<Record<string, string>>;
  readonly images: {
    readonly singleFlight: Pushed & { readonly children: readonly string[] };
    readonly slow: Pushed & { readonly blobs: readonly string[] };
    readonly dry: Pushed;
    readonly web: Pushed;
    readonly webNext: Pushed;
    readonly sidecar: Pushed;
    readonly kept: Pushed;
    readonly excluded: Pushed;
    readonly strict: Pushed;
  };
}

const world = lazyFixture<World>(
  async () => {
    const registries = await startMirrorWorld();
    const { source, backup } = registries;
    const started: { stop(): Promise<void> }[] = [registries];
    try {
      const tls = backup.pki?.server;
      if (tls === undefined) throw new Error('backup registry without TLS');
      const backupProxy = await startFaultProxy({ upstream: { url: backup.url, caPem: backup.caPem }, tls });
      started.push(backupProxy);
      const sourceProxy = await startFaultProxy({ upstream: { url: source.url } });
      started.push(sourceProxy);

      const push = async (repo: string, tag: string, artifact: TestImage | TestIndex): Promise<Pushed> => ({
        repo,
        tag,
        digest: (await pushImage(source, repo, tag, artifact)).digest,
      });
      const simple = (seed: string): Promise<TestImage> => makeSimpleImage('oci', { seed: `e2e-behaviour-${seed}` });
      const [sfIndex, slowImage, dryImage, webImage, webNextImage, sidecarImage, keptImage, excludedImage, strictImage] = await Promise.all([
        makeTwoPlatformIndex('oci', { seed: 'e2e-behaviour-single-flight' }),
        simple('slow'),
        simple('dry'),
        simple('web'),
        simple('web-next'),
        makeSimpleImage('docker', { seed: 'e2e-behaviour-sidecar' }),
        simple('kept'),
        simple('excluded'),
        simple('strict'),
      ]);
      const [singleFlight, slow, dry, web, webNext, sidecar, kept, excluded, strict] = await Promise.all([
        push('sf/app', '1.0', sfIndex),
        push('slow/app', '1.0', slowImage),
        push('dry/app', '1.0', dryImage),
        push('upd/web', '1.0', webImage),
        push('upd/web', '1.1', webNextImage),
        push('upd/sidecar', '1.0', sidecarImage),
        push('ex/kept', '1', keptImage),
        push('excluded/agent', '5', excludedImage),
        push('strict/app', '1.0', strictImage),
      ]);
      // Saved under the name nodes pull from (as a user's pull Secret is): they
      // also serve the push endpoint the webhook talks to.
      const authFile = await writeDockerConfig([backup.host], backup);
      const env = {
        BACKUP_REGISTRY: backup.host,
        BACKUP_REGISTRY_ENDPOINT: backupProxy.host,
        REGISTRY_AUTH_FILE: authFile,
        REGISTRY_CA_FILE: backup.caFile ?? '',
        INSECURE_REGISTRIES: `${source.host},${sourceProxy.host}`,
      };
      return {
        registries,
        backupProxy,
        sourceProxy,
        env,
        images: {
          singleFlight: { ...singleFlight, children: sfIndex.images.map((image) => image.manifest.digest) },
          slow: { ...slow, blobs: [slowImage.config.digest, ...slowImage.layers.map((layer) => layer.digest)] },
          dry,
          web,
          webNext,
          sidecar,
          kept,
          excluded,
          strict,
        },
      };
    } catch (error) {
      for (const resource of started.reverse()) await resource.stop();
      throw error;
    }
  },
  async (w) => {
    await w.backupProxy.stop();
    await w.sourceProxy.stop();
    await w.registries.stop();
  },
);

function serveFixture(name: string, extra: (w: World) => Record<string, string>) {
  return lazyFixture<ServeWebhook>(
    async () => {
      const w = await world.get();
      return startServeWebhook({ ...w.env, ...extra(w) }, name);
    },
    (serve) => serve.stop(),
  );
}

/** Defaults, with one exclude pattern. */
const main = serveFixture('serve-main', (w) => ({ EXCLUDE_IMAGES: `${w.registries.source.host}/excluded/**` }));
/** A one-second copy budget. */
const hurried = serveFixture('serve-hurried', () => ({ COPY_BUDGET_SECONDS: '1' }));
const strict = serveFixture('serve-strict', () => ({ STRICT: 'true' }));

// ---------------------------------------------------------------------------

function sourceRef(w: World, image: Pushed): string {
  return w.registries.source.ref(image.repo, image.tag);
}

function backupRef(w: World, image: Pushed, sourceHost = w.registries.source.host): string {
  return expectedBackupRef(w.registries.backup.host, { host: sourceHost, repo: image.repo, tag: image.tag }, image.digest);
}

/** A Pod as the ReplicaSet controller creates it: generateName, so the request's name is "". */
function pod(containers: readonly { readonly name: string; readonly image: string }[]): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'web-5d8f7c9b4-', namespace: 'shop', labels: { app: 'web' } },
    spec: {
      containers: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imagePullPolicy: 'IfNotPresent',
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      })),
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
    },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

function deployment(containers: readonly { readonly name: string; readonly image: string }[]): Record<string, unknown> {
  const template = pod(containers);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { metadata: { labels: { app: 'web' } }, spec: template.spec },
    },
  };
}

function patchedImage(object: unknown, response: ReadResponse, pointer: string): unknown {
  if (response.patch === undefined) throw new Error(`no patch; warnings: ${response.warnings.join(' | ')}`);
  return valueAt(applyPatch(object, response.patch), pointer);
}

function assertWarningsShort(response: ReadResponse): void {
  for (const warning of response.warnings) assert.ok(warning.length < 120, `warning of ${warning.length} chars: ${warning}`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function writesTo(w: World, since: number): { method: string; path: string }[] {
  return w.backupProxy.requests.slice(since).filter((r) => WRITE_METHODS.has(r.method));
}

// ---------------------------------------------------------------------------

const behaviour = suite('e2e: webhook behaviour through the real serve process');
behaviour.after(async () => {
  await Promise.all([main.dispose(), hurried.dispose(), strict.dispose()]);
  await world.dispose();
});

behaviour('single-flight: 10 parallel admissions of one uncached image, all patched, one manifest PUT for the tag', async () => {
  const w = await world.get();
  const serve = await main.get();
  const image = w.images.singleFlight;
  const expected = backupRef(w, image);
  const objects = Array.from({ length: 10 }, () => pod([{ name: 'app', image: sourceRef(w, image) }]));
  const reviews = objects.map((object) => buildAdmissionReview(object, { username: 'system:serviceaccount:kube-system:replicaset-controller' }));
  assert.is(new Set(reviews.map((r) => r.uid)).size, 10, 'a fresh uid per call');
  const answers = await Promise.all(reviews.map((review) => serve.admit(review)));
  answers.forEach(({ response }, i) => {
    assert.is(response.uid, reviews[i]?.uid);
    assert.is(response.allowed, true);
    assert.equal(response.warnings, []);
    assert.is(patchedImage(objects[i], response, '/spec/containers/0/image'), expected);
  });

  const repo = expectedBackupRepo({ host: w.registries.source.host, repo: image.repo });
  const manifestPuts = w.backupProxy.requests
    .filter((r) => r.method === 'PUT' && decodeURIComponent(r.path).startsWith(`/v2/${repo}/manifests/`))
    .map((r) => decodeURIComponent(r.path).slice(`/v2/${repo}/manifests/`.length));
  assert.equal(manifestPuts.filter((ref) => ref === image.tag), [image.tag], 'one PUT of the tag');
  assert.equal(manifestPuts.filter((ref) => ref !== image.tag).sort(), [...image.children].sort(), 'each platform manifest PUT once');
  const copies = await serve.metric(new RegExp(`^image_cloner_copies_finished_total\\{registry="${escapeRegExp(w.registries.source.host)}",outcome="copied"\\}$`));
  assert.is(copies, 1, 'one copy in the metrics');
  // What the pods will pull is really there.
  assert.is((await fetchManifest(w.registries.backup, expectedBackupRepo({ host: w.registries.source.host, repo: image.repo }), image.digest)).digest, image.digest);
});

behaviour('deadline: a slow copy is answered within the budget with the original image, then finishes in the background', async () => {
  const w = await world.get();
  const serve = await hurried.get();
  const image = w.images.slow;
  const source = w.sourceProxy;
  // The first read of each of its two blobs (config and layer) takes 3 s.
  source.addRule({ method: 'GET', path: /^\/v2\/slow\/app\/blobs\//, times: 2, action: { kind: 'delay', ms: 3_000 } });
  const ref = source.ref(image.repo, image.tag);
  const object = pod([{ name: 'app', image: ref }]);
  const started = Date.now();
  const built = buildAdmissionReview(object);
  const first = await serve.admit(built);
  assert.is(first.response.uid, built.uid);
  assert.ok(first.ms >= 900, `waited for the 1 s budget (${first.ms} ms)`);
  assert.ok(first.ms < 2_000, `answered within the budget (${first.ms} ms)`);
  assert.is(first.response.allowed, true);
  assert.is(first.response.patch, undefined, 'original image kept');
  assert.is(first.response.warnings.length, 1, first.response.warnings.join(' | '));
  assertWarningsShort(first.response);
  assert.match(first.response.warnings[0] ?? '', 'slow/app:1.0');

  const expected = backupRef(w, image, source.host);
  const later = await waitFor(
    async () => {
      const { response } = await serve.admit(buildAdmissionReview(object));
      return response.patch === undefined ? undefined : response;
    },
    10_000,
    { intervalMs: 200, what: 'an admission patched after the background copy' },
  );
  assert.is(patchedImage(object, later, '/spec/containers/0/image'), expected);
  assert.ok(Date.now() - started >= 2_900, 'the copy did wait for the delayed blobs');
  // Later admissions joined the running copy instead of starting their own:
  // the tag was resolved once, and the layer read once.
  assert.is(source.requestsTo('HEAD', /^\/v2\/slow\/app\/manifests\/1\.0$/).length, 1, 'one HEAD of the tag');
  const [config, layer] = image.blobs;
  assert.is(source.requestsTo('GET', new RegExp(`^/v2/slow/app/blobs/${layer ?? ''}$`)).length, 1, 'layer read once');
  // The config is read twice today: copyImage reads it again after the copy, to report the platform.
  assert.ok(source.requestsTo('GET', new RegExp(`^/v2/slow/app/blobs/${config ?? ''}$`)).length <= 2, 'config read at most twice');
  source.clearRules();
});

behaviour('dry run: the would-be patch, digest-pinned, and no write to the backup; a real admission then copies', async () => {
  const w = await world.get();
  const serve = await main.get();
  const image = w.images.dry;
  const object = pod([{ name: 'app', image: sourceRef(w, image) }]);
  const proxyMark = w.backupProxy.requests.length;
  const logMark = markAccessLog(w.registries.backup);
  const built = buildAdmissionReview(object, { dryRun: true });
  const { response } = await serve.admit(built);
  assert.is(response.uid, built.uid);
  assert.is(response.allowed, true);
  assert.equal(response.warnings, []);
  assert.is(patchedImage(object, response, '/spec/containers/0/image'), backupRef(w, image));
  await syncAccessLog(w.registries.backup);
  assert.equal(writesTo(w, proxyMark), [], 'no write through the endpoint');
  assert.equal(accessLogSince(logMark).filter((e) => WRITE_METHODS.has(e.method)), [], 'no write at the backup');

  // The dry run did not stand in for a copy: the real admission makes one.
  const real = await serve.admit(buildAdmissionReview(object));
  assert.is(patchedImage(object, real.response, '/spec/containers/0/image'), backupRef(w, image));
  const repo = expectedBackupRepo({ host: w.registries.source.host, repo: image.repo });
  assert.is((await fetchManifest(w.registries.backup, repo, image.tag)).digest, image.digest);
});

behaviour('UPDATE: a scale changes nothing and costs nothing; a new image in one container patches only that container', async () => {
  const w = await world.get();
  const serve = await main.get();
  const { web, webNext, sidecar } = w.images;
  const manifest = deployment([
    { name: 'web', image: sourceRef(w, web) },
    { name: 'sidecar', image: sourceRef(w, sidecar) },
  ]);
  const created = await serve.admit(buildAdmissionReview(manifest));
  if (created.response.patch === undefined) throw new Error('CREATE not patched');
  const stored = applyPatch(manifest, created.response.patch);
  assert.is(valueAt(stored, '/spec/template/spec/containers/0/image'), backupRef(w, web));
  assert.is(valueAt(stored, '/spec/template/spec/containers/1/image'), backupRef(w, sidecar));

  // kubectl scale: only spec.replicas differs.
  const scaled = structuredClone(stored);
  const scaledSpec = valueAt(scaled, '/spec');
  if (!isRecord(scaledSpec)) throw new Error('no spec');
  scaledSpec.replicas = 5;
  const proxyMark = w.backupProxy.requests.length;
  const sourceMark = markAccessLog(w.registries.source);
  const scale = buildAdmissionReview(scaled, { operation: 'UPDATE', oldObject: stored });
  const scaleAnswer = await serve.admit(scale);
  assert.is(scaleAnswer.response.uid, scale.uid);
  assert.is(scaleAnswer.response.allowed, true);
  assert.is(scaleAnswer.response.patch, undefined);
  assert.equal(scaleAnswer.response.warnings, []);
  await syncAccessLog(w.registries.source);
  assert.equal(accessLogSince(sourceMark), [], 'no source request');
  assert.is(w.backupProxy.requests.length, proxyMark, 'no backup request');

  // kubectl apply of the original manifest over the stored object: the
  // source references come back and the running copies are kept.
  const reapplied = structuredClone(stored);
  const reappliedSpec = valueAt(reapplied, '/spec/template/spec');
  if (!isRecord(reappliedSpec) || !Array.isArray(reappliedSpec.containers)) throw new Error('no containers');
  reappliedSpec.containers.forEach((container: unknown, i) => {
    if (isRecord(container)) container.image = valueAt(manifest, `/spec/template/spec/containers/${i}/image`);
  });
  const again = await serve.admit(buildAdmissionReview(reapplied, { operation: 'UPDATE', oldObject: stored }));
  if (again.response.patch === undefined) throw new Error('re-apply not patched back');
  assert.equal(applyPatch(reapplied, again.response.patch), stored, 'the stored object, unchanged');

  // A new image in the web container only.
  const bumped = structuredClone(stored);
  const bumpedContainers = valueAt(bumped, '/spec/template/spec/containers');
  if (!Array.isArray(bumpedContainers) || !isRecord(bumpedContainers[0])) throw new Error('no containers');
  bumpedContainers[0].image = sourceRef(w, webNext);
  const bump = buildAdmissionReview(bumped, { operation: 'UPDATE', oldObject: stored });
  const bumpAnswer = await serve.admit(bump);
  assert.is(bumpAnswer.response.uid, bump.uid);
  const patch = bumpAnswer.response.patch;
  if (patch === undefined) throw new Error('new image not patched');
  const paths = patch.map((op) => (isRecord(op) ? op.path : undefined));
  assert.equal(paths.filter((p) => typeof p === 'string' && p.startsWith('/spec')), ['/spec/template/spec/containers/0/image']);
  assert.ok(paths.every((p) => p === '/spec/template/spec/containers/0/image' || (typeof p === 'string' && p.startsWith('/metadata/annotations'))), String(paths));
  const result = applyPatch(bumped, patch);
  const expected = structuredClone(bumped);
  const expectedContainers = valueAt(expected, '/spec/template/spec/containers');
  if (!Array.isArray(expectedContainers) || !isRecord(expectedContainers[0])) throw new Error('no containers');
  expectedContainers[0].image = backupRef(w, webNext);
  const annotations = valueAt(result, '/metadata/annotations');
  if (!isRecord(annotations)) throw new Error('no annotations');
  assert.equal(JSON.parse(String(annotations[ANNOTATION])), { web: sourceRef(w, webNext), sidecar: sourceRef(w, sidecar) });
  const expectedMeta = valueAt(expected, '/metadata');
  if (!isRecord(expectedMeta)) throw new Error('no metadata');
  expectedMeta.annotations = { [ANNOTATION]: annotations[ANNOTATION] };
  assert.equal(result, expected, 'the sidecar and everything else as stored');
});

behaviour('UPDATE of a Deployment still on its source images (admitted while copies were pending): a scale rewrites nothing', async () => {
  const w = await world.get();
  const serve = await main.get();
  const { web, webNext, sidecar } = w.images;
  // As stored after a CREATE whose copies missed the deadline: source images, no annotation.
  const stored = deployment([
    { name: 'web', image: sourceRef(w, web) },
    { name: 'sidecar', image: sourceRef(w, sidecar) },
  ]);
  const scaled = structuredClone(stored);
  const spec = valueAt(scaled, '/spec');
  if (!isRecord(spec)) throw new Error('no spec');
  spec.replicas = 7;
  const proxyMark = w.backupProxy.requests.length;
  const sourceMark = markAccessLog(w.registries.source);
  const scale = buildAdmissionReview(scaled, { operation: 'UPDATE', oldObject: stored });
  const answer = await serve.admit(scale);
  assert.is(answer.response.uid, scale.uid);
  assert.is(answer.response.allowed, true);
  assert.is(answer.response.patch, undefined, 'rewriting now would roll out on a scale');
  assert.equal(answer.response.warnings, []);
  await syncAccessLog(w.registries.source);
  assert.equal(accessLogSince(sourceMark), [], 'no source request');
  assert.is(w.backupProxy.requests.length, proxyMark, 'no backup request');

  // The next image change is rewritten, and only it: the sidecar stays as it runs.
  const bumped = structuredClone(scaled);
  const containers = valueAt(bumped, '/spec/template/spec/containers');
  if (!Array.isArray(containers) || !isRecord(containers[0])) throw new Error('no containers');
  containers[0].image = sourceRef(w, webNext);
  const bump = await serve.admit(buildAdmissionReview(bumped, { operation: 'UPDATE', oldObject: scaled }));
  if (bump.response.patch === undefined) throw new Error('new image not patched');
  const result = applyPatch(bumped, bump.response.patch);
  assert.is(valueAt(result, '/spec/template/spec/containers/0/image'), backupRef(w, webNext));
  assert.is(valueAt(result, '/spec/template/spec/containers/1/image'), sourceRef(w, sidecar));
  const annotations = valueAt(result, '/metadata/annotations');
  if (!isRecord(annotations)) throw new Error('no annotations');
  assert.equal(JSON.parse(String(annotations[ANNOTATION])), { web: sourceRef(w, webNext) });
});

behaviour('already in the backup (under its name or its endpoint alias): no patch, no request to the backup at all', async () => {
  const w = await world.get();
  const serve = await main.get();
  const { backup, source } = w.registries;
  const image = await makeSimpleImage('oci', { seed: 'e2e-behaviour-already' });
  const repo = expectedBackupRepo({ host: source.host, repo: 'pre/copied' });
  const { digest } = await pushImage(backup, repo, '3.1', image);
  const object = pod([
    { name: 'app', image: `${backup.host}/${repo}:3.1@${digest}` },
    { name: 'alias', image: `${w.backupProxy.host}/${repo}:3.1` },
  ]);
  const proxyMark = w.backupProxy.requests.length;
  const logMark = markAccessLog(backup);
  const built = buildAdmissionReview(object);
  const { response } = await serve.admit(built);
  assert.is(response.uid, built.uid);
  assert.is(response.allowed, true);
  assert.is(response.patch, undefined);
  assert.equal(response.warnings, []);
  await syncAccessLog(backup);
  assert.equal(accessLogSince(logMark), [], 'the backup registry saw no request');
  assert.is(w.backupProxy.requests.length, proxyMark, 'nothing through the endpoint either');
});

behaviour('strict mode: a tag missing from the source is denied naming the image; without strict, allowed with a warning', async () => {
  const w = await world.get();
  const [strictServe, lenient] = await Promise.all([strict.get(), main.get()]);
  const missing = sourceRef(w, { ...w.images.strict, tag: '9.9' });
  const object = pod([{ name: 'app', image: missing }]);

  const denied = buildAdmissionReview(object);
  const no = await strictServe.admit(denied);
  assert.is(no.response.uid, denied.uid);
  assert.is(no.response.allowed, false);
  assert.is(no.response.patch, undefined);
  if (no.response.status === undefined) throw new Error('a denial without status');
  assert.ok(no.response.status.code >= 400, `code ${no.response.status.code}`);
  assert.ok(no.response.status.message.includes(missing), no.response.status.message);

  const ok = buildAdmissionReview(object);
  const yes = await lenient.admit(ok);
  assert.is(yes.response.uid, ok.uid);
  assert.is(yes.response.allowed, true);
  assert.is(yes.response.patch, undefined, 'original image kept');
  assert.is(yes.response.warnings.length, 1);
  assertWarningsShort(yes.response);
  assert.ok(yes.response.warnings[0]?.includes('strict/app:9.9'), yes.response.warnings[0]);

  // Strict mode still rewrites what it can copy.
  const good = pod([{ name: 'app', image: sourceRef(w, w.images.strict) }]);
  const copied = await strictServe.admit(buildAdmissionReview(good));
  assert.is(patchedImage(good, copied.response, '/spec/containers/0/image'), backupRef(w, w.images.strict));
});

behaviour('EXCLUDE_IMAGES: of two images only the one not excluded is rewritten; the excluded one costs no request', async () => {
  const w = await world.get();
  const serve = await main.get();
  const { kept, excluded } = w.images;
  const object = pod([
    { name: 'vendor-agent', image: sourceRef(w, excluded) },
    { name: 'app', image: sourceRef(w, kept) },
  ]);
  const sourceMark = markAccessLog(w.registries.source);
  const built = buildAdmissionReview(object);
  const { response } = await serve.admit(built);
  assert.is(response.uid, built.uid);
  assert.equal(response.warnings, []);
  if (response.patch === undefined) throw new Error('not patched');
  const result = applyPatch(object, response.patch);
  const expected = structuredClone(object);
  const containers = valueAt(expected, '/spec/containers');
  if (!Array.isArray(containers) || !isRecord(containers[1])) throw new Error('no containers');
  containers[1].image = backupRef(w, kept);
  const meta = valueAt(expected, '/metadata');
  if (!isRecord(meta)) throw new Error('no metadata');
  meta.annotations = { [ANNOTATION]: JSON.stringify({ app: sourceRef(w, kept) }) };
  assert.equal(result, expected);
  await syncAccessLog(w.registries.source);
  assert.equal(accessLogSince(sourceMark).filter((e) => e.path.startsWith('/v2/excluded/')), [], 'excluded image never asked for');
});

behaviour('hostile bodies: 400 or a 200 AdmissionReview, never a 500; the server stays healthy', async () => {
  const w = await world.get();
  const serve = await main.get();
  const review = (request: unknown): string => JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });
  const podRequest = (uid: string, object: unknown): Record<string, unknown> => ({
    uid,
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    name: '',
    namespace: 'shop',
    operation: 'CREATE',
    userInfo: { username: 'mallory' },
    object,
    oldObject: null,
    dryRun: false,
  });
  const depth = 1024 * 1024; // 2 MiB of brackets, far below the 7 MiB limit
  const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const cases: { name: string; body: string | Buffer; uid?: string }[] = [
    { name: 'not JSON', body: '{"apiVersion": "admission.k8s.io/v1", "kind":' },
    { name: 'a JSON array', body: '[{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}]' },
    { name: 'JSON null', body: 'null' },
    { name: 'invalid UTF-8', body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
    { name: 'a numeric uid', body: review({ ...podRequest('x', {}), uid: 42 }) },
    { name: 'request.object a string', body: review(podRequest('uid-object-string', 'kind: Pod')), uid: 'uid-object-string' },
    { name: '2 MiB of nested arrays', body: nested },
    { name: 'object of 2 MiB nested arrays', body: review(podRequest('uid-object-nested', [])).replace('"object":[]', `"object":${nested}`), uid: 'uid-object-nested' },
    {
      name: 'containers of 2 MiB nested arrays',
      body: review(podRequest('uid-containers-nested', { metadata: {}, spec: { containers: [] } })).replace('"containers":[]', `"containers":${nested}`),
      uid: 'uid-containers-nested',
    },
    {
      name: 'an image of 1 MiB with control characters',
      body: review(podRequest('uid-long-image', { metadata: {}, spec: { containers: [{ name: 'app', image: `\u0007${'a'.repeat(1024 * 1024)}\n:x` }] } })),
      uid: 'uid-long-image',
    },
    {
      name: 'an image that is a number',
      body: review(podRequest('uid-image-number', { metadata: {}, spec: { containers: [{ name: 'app', image: 42 }] } })),
      uid: 'uid-image-number',
    },
    {
      name: 'an unknown operation',
      body: review({ ...podRequest('uid-operation', {}), operation: 'EXPLODE' }),
      uid: 'uid-operation',
    },
  ];
  for (const c of cases) {
    const res = await serve.post(c.body);
    assert.ok(res.status === 400 || res.status === 200, `${c.name}: HTTP ${res.status}`);
    if (c.uid !== undefined) {
      assert.is(res.status, 200, `${c.name}: answerable, so answered`);
    }
    if (res.status === 200) {
      const parsed: unknown = JSON.parse(res.body);
      assert.is(valueAt(parsed, '/response/uid'), c.uid, `${c.name}: uid echoed`);
      assert.is(valueAt(parsed, '/response/allowed'), true, `${c.name}: allowed`);
      assert.is(valueAt(parsed, '/response/patch'), undefined, `${c.name}: nothing patched`);
      const warnings = valueAt(parsed, '/response/warnings');
      if (Array.isArray(warnings)) for (const warning of warnings) assert.ok(String(warning).length < 120, `${c.name}: ${String(warning)}`);
    }
  }
  const yaml = await serve.post('apiVersion: admission.k8s.io/v1', { 'content-type': 'application/yaml' });
  assert.is(yaml.status, 415);

  assert.ok(serve.process.isRunning(), 'still running');
  assert.is((await httpsRequest(serve.target, { path: '/healthz' })).status, 200);
  assert.is((await httpsRequest(serve.target, { path: '/readyz' })).status, 200);
  const object = pod([{ name: 'app', image: sourceRef(w, w.images.kept) }]);
  const after = await serve.admit(buildAdmissionReview(object));
  assert.is(patchedImage(object, after.response, '/spec/containers/0/image'), backupRef(w, w.images.kept));
  // Log lines are written in batches within FLUSH_DELAY_MS: let the last ones arrive before reading.
  await new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS + 100));
  const output = serve.process.output();
  assert.not.match(output, /unhandled rejection|admission handler failed|request failed/);
});

behaviour.run();
