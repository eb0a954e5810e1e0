/**
 * End to end, every workload kind: the real `node dist/cli.js serve` (real
 * TLS for the Service name), a plain-HTTP source registry and a TLS +
 * htpasswd backup registry (both the real docker-registry). For each kind a
 * realistic object whose containers, init containers (an ephemeral
 * container on the Pod) and image volumes name source images of every
 * manifest kind: an OCI index of two platforms and a Docker schema2 image by
 * tag, a Docker manifest list by digest only. The AdmissionReview goes the
 * way the API server sends it; the patch is applied with the independent
 * applier (test/core/apply-patch.ts); the result must be exactly the object
 * with its image fields rewritten to digest-pinned backup names and the
 * original-images annotation added, and skopeo must read every rewritten
 * reference from the backup with the source's digest.
 */
import { POD_SPEC_PATHS, WORKLOAD_KIND_NAMES, type WorkloadKindName } from '../helpers/pod-spec-paths.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { applyPatch } from '../core/apply-patch.js';
import { isRecord, valueAt } from '../core/k8s-fixtures.js';
import { buildAdmissionReview } from '../helpers/admission-request.js';
import { lazyFixture } from '../helpers/fixture.js';
import { fetchManifest, makeSimpleImage, makeTwoPlatformIndex, pushImage } from '../helpers/images.js';
import type { TestIndex } from '../helpers/images.js';
import { expectedBackupRef, expectedBackupRepo, startMirrorWorld } from '../helpers/mirror-world.js';
import type { MirrorWorld } from '../helpers/mirror-world.js';
import { accessLogSince, markAccessLog, syncAccessLog } from '../helpers/registry-access-log.js';
import { startServeWebhook } from '../helpers/serve-webhook.js';
import type { ServeWebhook } from '../helpers/serve-webhook.js';
import { skopeoEndpointFor, skopeoInspectRaw } from '../helpers/skopeo.js';

const ANNOTATION = 'image-cloner.io/original-images';
const ANNOTATION_POINTER = '/metadata/annotations/image-cloner.io~1original-images';

interface SourceImage {
  readonly repo: string;
  readonly tag: string | undefined;
  readonly digest: string;
  /** As written in pod specs. */
  readonly ref: string;
}

interface Images {
  /** OCI index, linux/amd64 + linux/arm64/v8, by tag. */
  readonly multi: SourceImage & { readonly children: readonly string[] };
  /** Docker schema2, by tag. */
  readonly legacy: SourceImage;
  /** Docker manifest list, by digest only. */
  readonly pinned: SourceImage;
  /** OCI image used as an image volume. */
  readonly models: SourceImage;
  /** What `kubectl debug` adds. */
  readonly debug: SourceImage;
}

interface World {
  readonly registries: MirrorWorld;
  readonly serve: ServeWebhook;
  readonly images: Images;
  /** Source reference -> the backup reference the webhook must write. */
  readonly expected: ReadonlyMap<string, string>;
}

const world = lazyFixture<World>(
  async () => {
    const registries = await startMirrorWorld();
    try {
      const { source, backup } = registries;
      const push = async (repo: string, tag: string | undefined, artifact: Parameters<typeof pushImage>[3]): Promise<SourceImage> => {
        const { digest } = await pushImage(source, repo, tag, artifact);
        return { repo, tag, digest, ref: source.ref(repo, tag ?? digest) };
      };
      const [multiIndex, legacyImage, pinnedList, modelsImage, debugImage] = await Promise.all([
        makeTwoPlatformIndex('oci', { seed: 'e2e-kinds-multi' }),
        makeSimpleImage('docker', { seed: 'e2e-kinds-legacy' }),
        makeTwoPlatformIndex('docker', { seed: 'e2e-kinds-pinned' }),
        makeSimpleImage('oci', { seed: 'e2e-kinds-models' }),
        makeSimpleImage('oci', { seed: 'e2e-kinds-debug' }),
      ]);
      const [multi, legacy, pinned, models, debug] = await Promise.all([
        push('apps/web', '1.0', multiIndex),
        push('apps/legacy-db', '2.3', legacyImage),
        push('apps/metrics', undefined, pinnedList),
        push('data/models', 'v1', modelsImage),
        push('tools/debug', '1.36', debugImage),
      ]);
      const images: Images = { multi: { ...multi, children: childDigests(multiIndex) }, legacy, pinned, models, debug };
      const expected = new Map<string, string>();
      for (const image of Object.values(images)) {
        expected.set(image.ref, expectedBackupRef(backup.host, { host: source.host, repo: image.repo, tag: image.tag }, image.digest));
      }
      const serve = await startServeWebhook({
        BACKUP_REGISTRY: backup.host,
        REGISTRY_AUTH_FILE: registries.authFile,
        REGISTRY_CA_FILE: backup.caFile ?? '',
        INSECURE_REGISTRIES: source.host,
      });
      return { registries, serve, images, expected };
    } catch (error) {
      await registries.stop();
      throw error;
    }
  },
  async (w) => {
    await w.serve.stop();
    await w.registries.stop();
  },
);

function childDigests(index: TestIndex): string[] {
  return index.images.map((image) => image.manifest.digest);
}

// ---------------------------------------------------------------------------
// Realistic objects, already defaulted as the API server hands them over.

function podSpec(images: Images, options: { readonly restartPolicy: string; readonly imageVolume: boolean; readonly ephemeral: boolean }): Record<string, unknown> {
  const common = {
    imagePullPolicy: 'IfNotPresent',
    resources: {},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
  return {
    initContainers: [
      { ...common, name: 'migrate', image: images.legacy.ref, command: ['/bin/migrate', '--up'] },
    ],
    containers: [
      {
        ...common,
        name: 'app',
        image: images.multi.ref,
        ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
        // Named "image" but not an image slot: must survive untouched.
        env: [
          { name: 'IMAGE', value: images.multi.ref },
          { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        ],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
        readinessProbe: {
          httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
          periodSeconds: 10,
          timeoutSeconds: 1,
          successThreshold: 1,
          failureThreshold: 3,
        },
        volumeMounts: [
          { name: 'config', mountPath: '/etc/app' },
          ...(options.imageVolume ? [{ name: 'models', mountPath: '/models', readOnly: true }] : []),
        ],
      },
      { ...common, name: 'metrics', image: images.pinned.ref, args: ['--listen=:9100'] },
    ],
    ...(options.ephemeral
      ? {
          ephemeralContainers: [
            { ...common, name: 'debugger', image: images.debug.ref, targetContainerName: 'app', stdin: true, tty: true },
          ],
        }
      : {}),
    volumes: [
      { name: 'config', configMap: { name: 'app-config', defaultMode: 420 } },
      // An RBD volume's `image` is a Ceph image name, not a container image.
      { name: 'ceph', rbd: { monitors: ['10.0.0.1:6789'], image: 'kube-volume', pool: 'rbd', user: 'admin', fsType: 'ext4' } },
      ...(options.imageVolume ? [{ name: 'models', image: { reference: images.models.ref, pullPolicy: 'IfNotPresent' } }] : []),
    ],
    restartPolicy: options.restartPolicy,
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: 'web',
    securityContext: { runAsNonRoot: true },
    schedulerName: 'default-scheduler',
  };
}

function template(images: Images, restartPolicy: string, imageVolume: boolean): Record<string, unknown> {
  return {
    metadata: { labels: { app: 'web', tier: 'frontend' }, annotations: { 'prometheus.io/scrape': 'true' } },
    spec: podSpec(images, { restartPolicy, imageVolume, ephemeral: false }),
  };
}

function lastApplied(images: Images): Record<string, string> {
  // kubectl apply stores the manifest as written, source images included: not a slot.
  return { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ image: images.multi.ref }) };
}

const KINDS = WORKLOAD_KIND_NAMES;
type Kind = WorkloadKindName;

/** Where the pod spec lives in each kind: the suite's own table, written apart from src/core/pod-specs.ts. */
const SPEC_PATH = POD_SPEC_PATHS;

function makeObject(kind: Kind, images: Images): Record<string, unknown> {
  const meta = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name,
    namespace: 'shop',
    labels: { app: 'web' },
    ...extra,
  });
  const selector = { matchLabels: { app: 'web', tier: 'frontend' } };
  switch (kind) {
    case 'Pod':
      return {
        apiVersion: 'v1',
        kind: 'Pod',
        // Created by the ReplicaSet controller: generateName, no name yet.
        metadata: {
          generateName: 'web-6c9f8b7d5-',
          namespace: 'shop',
          labels: { app: 'web', 'pod-template-hash': '6c9f8b7d5' },
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-6c9f8b7d5', uid: '3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b', controller: true, blockOwnerDeletion: true },
          ],
        },
        spec: podSpec(images, { restartPolicy: 'Always', imageVolume: true, ephemeral: true }),
        status: { phase: 'Pending', qosClass: 'Burstable' },
      };
    case 'PodTemplate':
      return { apiVersion: 'v1', kind: 'PodTemplate', metadata: meta('web-template'), template: template(images, 'Always', false) };
    case 'ReplicationController':
      return {
        apiVersion: 'v1',
        kind: 'ReplicationController',
        metadata: meta('web-rc', { annotations: { owner: 'team-a' } }),
        spec: { replicas: 2, selector: { app: 'web', tier: 'frontend' }, template: template(images, 'Always', false) },
        status: { replicas: 0 },
      };
    case 'Deployment':
      return {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta('web', { annotations: lastApplied(images) }),
        spec: {
          replicas: 3,
          selector,
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
          revisionHistoryLimit: 10,
          progressDeadlineSeconds: 600,
          template: template(images, 'Always', true),
        },
        status: {},
      };
    case 'ReplicaSet':
      return {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: meta('web-standalone'),
        spec: { replicas: 1, selector, template: template(images, 'Always', false) },
        status: { replicas: 0 },
      };
    case 'StatefulSet':
      return {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: meta('db', { annotations: {} }),
        spec: {
          serviceName: 'db',
          replicas: 3,
          selector,
          podManagementPolicy: 'OrderedReady',
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
          template: template(images, 'Always', false),
          volumeClaimTemplates: [
            {
              apiVersion: 'v1',
              kind: 'PersistentVolumeClaim',
              metadata: { name: 'data' },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' },
            },
          ],
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        },
      };
    case 'DaemonSet':
      return {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: meta('node-agent'),
        spec: {
          selector,
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
          revisionHistoryLimit: 10,
          template: template(images, 'Always', false),
        },
      };
    case 'Job':
      return {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'db-migrate', namespace: 'shop' },
        spec: {
          backoffLimit: 6,
          completions: 1,
          parallelism: 1,
          completionMode: 'NonIndexed',
          suspend: false,
          template: template(images, 'Never', false),
        },
      };
    case 'CronJob':
      return {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: meta('nightly-report'),
        spec: {
          schedule: '0 3 * * *',
          concurrencyPolicy: 'Forbid',
          suspend: false,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 1,
          jobTemplate: { metadata: {}, spec: { backoffLimit: 2, template: template(images, 'OnFailure', true) } },
        },
      };
  }
}

interface ImageField {
  readonly pointer: string;
  readonly image: string;
  /** The original-images annotation key: the container name, or `volumes/<name>`. */
  readonly key: string;
}

/** Every image field of the object's pod spec: containers of the three lists and image volumes. */
function imageFields(kind: Kind, object: unknown): ImageField[] {
  const base = `/${SPEC_PATH[kind].join('/')}`;
  const spec = valueAt(object, base);
  if (!isRecord(spec)) throw new Error(`${kind}: no pod spec at ${base}`);
  const fields: ImageField[] = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    containers.forEach((container: unknown, index) => {
      if (isRecord(container) && typeof container.image === 'string' && typeof container.name === 'string') {
        fields.push({ pointer: `${base}/${list}/${index}/image`, image: container.image, key: container.name });
      }
    });
  }
  const volumes = spec['volumes'];
  if (Array.isArray(volumes)) {
    volumes.forEach((volume: unknown, index) => {
      if (isRecord(volume) && isRecord(volume.image) && typeof volume.image.reference === 'string' && typeof volume.name === 'string') {
        fields.push({ pointer: `${base}/volumes/${index}/image/reference`, image: volume.image.reference, key: `volumes/${volume.name}` });
      }
    });
  }
  return fields;
}

function setAt(document: unknown, pointer: string, value: unknown): void {
  const tokens = pointer.split('/').slice(1);
  const last = tokens.pop();
  const parent = valueAt(document, `/${tokens.join('/')}`);
  if (last === undefined || !(isRecord(parent) || Array.isArray(parent))) throw new Error(`cannot set ${pointer}`);
  if (Array.isArray(parent)) parent[Number(last)] = value;
  else parent[last] = value;
}

function annotationsOf(object: unknown): Record<string, unknown> {
  const annotations = valueAt(object, '/metadata/annotations');
  if (!isRecord(annotations)) throw new Error('no metadata.annotations');
  return annotations;
}

function parseOriginals(object: unknown): unknown {
  const value = annotationsOf(object)[ANNOTATION];
  if (typeof value !== 'string') throw new Error(`annotation ${ANNOTATION} missing`);
  return JSON.parse(value);
}

/** Only `replace` ops on image fields, and at most one op setting the annotation. */
function assertPatchShape(patch: readonly unknown[], imagePointers: readonly string[], what: string): void {
  const replaced: string[] = [];
  let annotationOps = 0;
  for (const op of patch) {
    if (!isRecord(op)) throw new Error(`${what}: op is not an object`);
    if (op.op === 'replace' && typeof op.path === 'string' && imagePointers.includes(op.path)) {
      replaced.push(op.path);
    } else if (op.op === 'add' && (op.path === ANNOTATION_POINTER || op.path === '/metadata/annotations')) {
      annotationOps++;
    } else {
      assert.unreachable(`${what}: unexpected op ${JSON.stringify(op)}`);
    }
  }
  assert.equal([...replaced].sort(), [...imagePointers].sort(), `${what}: one replace per image field`);
  assert.is(annotationOps, 1, `${what}: one annotation op`);
}

// skopeo is the slow part; each distinct reference is read once.
const inspected = new Map<string, Promise<string>>();

function backupDigest(w: World, ref: string): Promise<string> {
  let digest = inspected.get(ref);
  if (digest === undefined) {
    digest = skopeoInspectRaw(ref, skopeoEndpointFor(w.registries.backup)).then((result) => result.digest);
    inspected.set(ref, digest);
  }
  return digest;
}

const kinds = suite('e2e: every workload kind through the real webhook');
kinds.after(() => world.dispose());

for (const kind of KINDS) {
  kinds(`${kind}: every image field rewritten to a pullable, digest-pinned backup copy; nothing else changed`, async () => {
    const w = await world.get();
    const object = makeObject(kind, w.images);
    const fields = imageFields(kind, object);
    assert.ok(fields.length >= 3, `${kind}: the object names several images`);
    const built = buildAdmissionReview(object);
    const { response } = await w.serve.admit(built);
    assert.is(response.uid, built.uid);
    assert.is(response.allowed, true);
    assert.equal(response.warnings, [], `${kind}: every copy finished within the budget`);
    if (response.patch === undefined) throw new Error(`${kind}: no patch`);
    assertPatchShape(response.patch, fields.map((f) => f.pointer), kind);

    const result = applyPatch(object, response.patch);
    // The exact expected object: the input with each image field rewritten
    // and the annotation recording the originals; everything else equal.
    const expected = structuredClone(object);
    const originals: Record<string, string> = {};
    for (const field of fields) {
      const rewritten = w.expected.get(field.image);
      if (rewritten === undefined) throw new Error(`no expectation for ${field.image}`);
      assert.is(valueAt(result, field.pointer), rewritten, `${kind} ${field.pointer}`);
      setAt(expected, field.pointer, rewritten);
      originals[field.key] = field.image;
    }
    assert.equal(parseOriginals(result), originals, `${kind}: original-images annotation`);
    const expectedMeta = valueAt(expected, '/metadata');
    if (!isRecord(expectedMeta)) throw new Error('no metadata');
    expectedMeta.annotations = { ...(isRecord(expectedMeta.annotations) ? expectedMeta.annotations : {}), [ANNOTATION]: annotationsOf(result)[ANNOTATION] };
    assert.equal(result, expected, `${kind}: only image fields and the annotation changed`);

    // Every rewritten reference is pullable from the backup, with the source's
    // digest: by digest, as a runtime pulls `name:tag@digest`, and by its tag.
    for (const field of fields) {
      const ref = String(valueAt(result, field.pointer));
      const at = ref.indexOf('@');
      const digest = ref.slice(at + 1);
      const named = ref.slice(0, at);
      const repository = named.replace(/:[\w][\w.-]*$/, '');
      assert.is(await backupDigest(w, `${repository}@${digest}`), digest, `${kind}: skopeo reads ${ref} by digest`);
      if (repository !== named) assert.is(await backupDigest(w, named), digest, `${kind}: skopeo reads ${named}`);
    }
  });
}

kinds('all platforms are in the backup, and the digest-only copy has its anchor tag', async () => {
  const w = await world.get();
  const { backup, source } = w.registries;
  const { multi, pinned } = w.images;
  const repo = expectedBackupRepo({ host: source.host, repo: multi.repo });
  for (const child of multi.children) {
    assert.is((await fetchManifest(backup, repo, child)).digest, child, `child manifest ${child}`);
  }
  const pinnedRepo = expectedBackupRepo({ host: source.host, repo: pinned.repo });
  const anchor = `mirror-${pinned.digest.replace(':', '-')}`;
  assert.is((await fetchManifest(backup, pinnedRepo, anchor)).digest, pinned.digest);
});

kinds('pods/ephemeralcontainers UPDATE adding a debug container: only that container is rewritten', async () => {
  const w = await world.get();
  // The Pod as stored: what the CREATE admission made of it.
  const created = makeObject('Pod', w.images);
  const first = await w.serve.admit(buildAdmissionReview(created));
  if (first.response.patch === undefined) throw new Error('CREATE not patched');
  const stored = applyPatch(created, first.response.patch);
  const storedOriginals = parseOriginals(stored);
  if (!isRecord(storedOriginals)) throw new Error('annotation is not an object');

  const updated = structuredClone(stored);
  const spec = valueAt(updated, '/spec');
  if (!isRecord(spec) || !Array.isArray(spec.ephemeralContainers)) throw new Error('no ephemeral containers');
  spec.ephemeralContainers.push({
    name: 'debugger-x7k2q',
    image: w.images.debug.ref,
    targetContainerName: 'app',
    stdin: true,
    tty: true,
    imagePullPolicy: 'IfNotPresent',
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    resources: {},
  });
  const pointer = `/spec/ephemeralContainers/${spec.ephemeralContainers.length - 1}/image`;
  const built = buildAdmissionReview(updated, { operation: 'UPDATE', oldObject: stored, subResource: 'ephemeralcontainers' });
  const { response } = await w.serve.admit(built);
  assert.is(response.uid, built.uid);
  assert.is(response.allowed, true);
  if (response.patch === undefined) throw new Error('ephemeral container not patched');
  assertPatchShape(response.patch, [pointer], 'ephemeralcontainers');

  const result = applyPatch(updated, response.patch);
  const rewritten = w.expected.get(w.images.debug.ref);
  assert.is(valueAt(result, pointer), rewritten);
  assert.equal(parseOriginals(result), { ...storedOriginals, 'debugger-x7k2q': w.images.debug.ref });
  const expected = structuredClone(updated);
  setAt(expected, pointer, rewritten);
  annotationsOf(expected)[ANNOTATION] = annotationsOf(result)[ANNOTATION];
  assert.equal(result, expected, 'every other container, the annotation aside, as stored');
});

kinds('a ReplicaSet controlled by a Deployment is left alone, at no registry cost', async () => {
  const w = await world.get();
  const { source, backup } = w.registries;
  const object = makeObject('ReplicaSet', w.images);
  const meta = valueAt(object, '/metadata');
  if (!isRecord(meta)) throw new Error('no metadata');
  meta.ownerReferences = [
    { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: '9b2f6c1d-0e3a-4b5c-8d7e-6f5a4b3c2d1e', controller: true, blockOwnerDeletion: true },
  ];
  // Never copied before: a rewrite would need a registry call.
  setAt(object, '/spec/template/spec/containers/0/image', source.ref('apps/never-copied', '7.7'));
  const marks = [markAccessLog(source), markAccessLog(backup)];
  const built = buildAdmissionReview(object);
  const { response } = await w.serve.admit(built);
  assert.is(response.uid, built.uid);
  assert.is(response.allowed, true);
  assert.is(response.patch, undefined);
  assert.equal(response.warnings, []);
  await Promise.all([syncAccessLog(source), syncAccessLog(backup)]);
  for (const mark of marks) {
    const calls = accessLogSince(mark);
    assert.equal(calls, [], `${mark.registry.host}: no request`);
  }
});

kinds.run();
