import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMutationPolicy } from '../../src/core/mutation-policy.js';
import type { MutationPolicy, MutationPolicyInput } from '../../src/core/mutation-policy.js';
import { collectImages, planMutation } from '../../src/core/plan-mutation.js';
import type { CopyOutcome, MutationPlan } from '../../src/core/plan-mutation.js';
import { parseRequest, reviewFor } from './k8s-fixtures.js';
import type { ReviewOptions } from './k8s-fixtures.js';

const D = `sha256:${'d'.repeat(64)}`;
const S = `sha256:${'5'.repeat(64)}`;
const B = 'backup.example:5000';
const KEY = 'image-cloner.io/original-images';

const basePolicy: MutationPolicyInput = {
  registry: B,
  alsoKnownAs: ['http://push.internal:5000'],
  exclude: ['registry.k8s.io/pause:*'],
};
const policy = parseMutationPolicy(basePolicy);

interface Container {
  name: string;
  image?: string;
}

function deployment(containers: Container[], extra: { init?: Container[]; annotations?: Record<string, string>; replicas?: number } = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      replicas: extra.replicas ?? 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers, ...(extra.init ? { initContainers: extra.init } : {}) },
      },
    },
  };
}

function pod(spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'p' }) {
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

/** Every needed copy is ready with digest D (or the source's own digest). */
function allReady(object: unknown, options: ReviewOptions = {}, p: MutationPolicy = policy): Map<string, CopyOutcome> {
  const request = parseRequest(reviewFor(object, options));
  return new Map(collectImages(request, p).map((c) => [c.key, { status: 'ready', digest: c.source.digest ?? D }]));
}

function plan(object: unknown, options: ReviewOptions = {}, outcomes?: Map<string, CopyOutcome>, p: MutationPolicy = policy): MutationPlan {
  const request = parseRequest(reviewFor(object, options));
  return planMutation(request, p, outcomes ?? allReady(object, options, p));
}

function collect(object: unknown, options: ReviewOptions = {}, p: MutationPolicy = policy): string[] {
  return collectImages(parseRequest(reviewFor(object, options)), p).map((c) => c.key);
}

function statuses(result: MutationPlan): string[] {
  return result.images.map((i) => `${i.slot.container}:${i.status}`);
}

const rewrite = suite('planMutation: rewriting');

const refCases: readonly { image: string; key: string; want: string; policy?: MutationPolicy }[] = [
  { image: 'nginx:1.25', key: 'docker.io/library/nginx:1.25', want: `${B}/docker.io/library/nginx:1.25@${D}` },
  { image: 'nginx', key: 'docker.io/library/nginx:latest', want: `${B}/docker.io/library/nginx:latest@${D}` },
  { image: `gcr.io/a/b@${S}`, key: `gcr.io/a/b@${S}`, want: `${B}/gcr.io/a/b@${S}` },
  { image: `busybox:1.38.0@${S}`, key: `docker.io/library/busybox:1.38.0@${S}`, want: `${B}/docker.io/library/busybox:1.38.0@${S}` },
  { image: 'localhost:5000/x:1', key: 'localhost:5000/x:1', want: `${B}/localhost_5000/x:1@${D}` },
  {
    image: 'nginx:1.25',
    key: 'docker.io/library/nginx:1.25',
    want: `${B}/docker.io/library/nginx:1.25`,
    policy: parseMutationPolicy({ ...basePolicy, pinDigests: false }),
  },
  {
    image: `busybox:1.38.0@${S}`,
    key: `docker.io/library/busybox:1.38.0@${S}`,
    want: `${B}/docker.io/library/busybox:1.38.0@${S}`,
    policy: parseMutationPolicy({ ...basePolicy, pinDigests: false }),
  },
  {
    image: 'quay.io/org/app:v1',
    key: 'quay.io/org/app:v1',
    want: `docker.io/myorg/quay.io-org-app:v1@${D}`,
    policy: parseMutationPolicy({ registry: 'docker.io', prefix: 'myorg', layout: 'flat' }),
  },
];
for (const c of refCases) {
  rewrite(`${c.image} -> ${c.want}`, () => {
    const p = c.policy ?? policy;
    const object = deployment([{ name: 'web', image: c.image }]);
    assert.equal(collect(object, {}, p), [c.key]);
    const result = plan(object, {}, undefined, p);
    assert.equal(statuses(result), ['web:rewritten']);
    assert.equal(result.patch, [
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: c.want },
      { op: 'add', path: '/metadata/annotations', value: { [KEY]: JSON.stringify({ web: c.image }) } },
    ]);
    assert.equal(result.warnings, []);
  });
}

rewrite('the same image in two slots is copied once and rewritten in both', () => {
  const object = deployment([{ name: 'a', image: 'mysql:5.7' }], { init: [{ name: 'init', image: 'docker.io/library/mysql:5.7' }] });
  assert.equal(collect(object), ['docker.io/library/mysql:5.7']);
  assert.equal(statuses(plan(object)), ['init:rewritten', 'a:rewritten']);
});

rewrite('an annotation map that exists gets the key (escaped), others kept', () => {
  const result = plan(deployment([{ name: 'web', image: 'nginx' }], { annotations: { team: 'a' } }));
  assert.equal(result.patch[1], { op: 'add', path: '/metadata/annotations/image-cloner.io~1original-images', value: '{"web":"nginx"}' });
});

rewrite('a ready outcome whose digest differs from the reference fails (never write a lying reference)', () => {
  const object = deployment([{ name: 'web', image: `gcr.io/a/b@${S}` }]);
  const result = plan(object, {}, new Map([[`gcr.io/a/b@${S}`, { status: 'ready', digest: D }]]));
  assert.equal(statuses(result), ['web:failed']);
  assert.equal(result.patch, []);
});

rewrite('a ready outcome without a valid digest, or no outcome at all, fails', () => {
  const object = deployment([{ name: 'web', image: 'nginx' }]);
  const bad = plan(object, {}, new Map([['docker.io/library/nginx:latest', { status: 'ready', digest: 'sha256:zz' }]]));
  assert.equal(statuses(bad), ['web:failed']);
  assert.equal(statuses(plan(object, {}, new Map())), ['web:failed']);
});

rewrite('dryRun: the response still shows the would-be patch', () => {
  const object = deployment([{ name: 'web', image: 'nginx' }]);
  assert.equal(plan(object, { dryRun: true }).patch, plan(object).patch);
});

rewrite('image volumes are rewritten and keyed volumes/<name>', () => {
  const object = pod({ containers: [{ name: 'c', image: `${B}/x/y:1` }], volumes: [{ name: 'm', image: { reference: 'ghcr.io/o/m:v1' } }] });
  const result = plan(object);
  assert.equal(statuses(result), ['c:in-backup', 'm:rewritten']);
  assert.equal(result.patch[0], { op: 'replace', path: '/spec/volumes/0/image/reference', value: `${B}/ghcr.io/o/m:v1@${D}` });
  assert.equal(result.patch[1], { op: 'add', path: '/metadata/annotations', value: { [KEY]: '{"volumes/m":"ghcr.io/o/m:v1"}' } });
});

const leave = suite('planMutation: left alone');

const leftAlone: readonly { name: string; image: string; status: string; warns: boolean }[] = [
  { name: 'invalid (uppercase)', image: 'imageValue', status: 'invalid', warns: true },
  { name: 'invalid (placeholder)', image: '<your-private-image>', status: 'invalid', warns: true },
  { name: 'in backup by its pod-spec name', image: `${B}/docker.io/library/nginx:1@${D}`, status: 'in-backup', warns: false },
  { name: 'in backup by its push endpoint name', image: 'push.internal:5000/x/y:1', status: 'in-backup', warns: false },
  { name: 'excluded', image: 'registry.k8s.io/pause:3.10', status: 'excluded', warns: false },
];
for (const c of leftAlone) {
  leave(`${c.name}: no patch, no registry call`, () => {
    const object = deployment([{ name: 'web', image: c.image }]);
    assert.equal(collect(object), []);
    const result = plan(object, {}, new Map());
    assert.equal(statuses(result), [`web:${c.status}`]);
    assert.equal(result.patch, []);
    assert.is(result.warnings.length, c.warns ? 1 : 0);
  });
}

leave('an invalid image does not stop the others', () => {
  const result = plan(deployment([{ name: 'bad', image: 'Bad' }, { name: 'good', image: 'nginx' }]));
  assert.equal(statuses(result), ['bad:invalid', 'good:rewritten']);
  assert.is(result.patch.length, 2);
  assert.match(result.warnings[0] ?? '', /^image-cloner: container "bad": image "Bad" left unchanged: .*lowercase/);
});

const skipped: readonly { name: string; object: unknown; options: ReviewOptions; reason: string }[] = [
  { name: 'DELETE', object: deployment([{ name: 'a', image: 'nginx' }]), options: { operation: 'DELETE' }, reason: 'operation' },
  { name: 'CONNECT', object: pod({ containers: [{ name: 'a', image: 'nginx' }] }), options: { operation: 'CONNECT' }, reason: 'operation' },
  { name: 'a ConfigMap', object: { apiVersion: 'v1', kind: 'ConfigMap', data: { image: 'nginx' } }, options: {}, reason: 'not-a-workload' },
  {
    name: 'a Knative Image',
    object: { apiVersion: 'caching.internal.knative.dev/v1alpha1', kind: 'Image', spec: { image: 'nginx' } },
    options: {},
    reason: 'not-a-workload',
  },
  { name: 'a Deployment CRD of another group', object: { ...deployment([{ name: 'a', image: 'nginx' }]), apiVersion: 'example.com/v1' }, options: {}, reason: 'not-a-workload' },
  { name: 'pods/status', object: pod({ containers: [{ name: 'a', image: 'nginx' }] }), options: { operation: 'UPDATE', subResource: 'status' }, reason: 'subresource' },
  { name: 'a bad shape', object: pod({ containers: 'nginx' }), options: {}, reason: 'bad-shape' },
  { name: 'bad metadata', object: { ...pod({ containers: [] }), metadata: { annotations: { a: 1 } } }, options: {}, reason: 'bad-shape' },
];
for (const c of skipped) {
  leave(`skipped: ${c.name}`, () => {
    assert.equal(collect(c.object, c.options), []);
    const result = plan(c.object, c.options, new Map());
    assert.is(result.skipped, c.reason);
    assert.equal(result.patch, []);
    assert.is(result.warnings.length, c.reason === 'bad-shape' ? 1 : 0);
  });
}

const owners = suite('planMutation: controller-owned objects (kubernetes#57167)');

function replicaSet(ownerReferences?: unknown[]) {
  const d = deployment([{ name: 'web', image: 'nginx' }]);
  return { ...d, kind: 'ReplicaSet', metadata: { ...d.metadata, ...(ownerReferences ? { ownerReferences } : {}) } };
}
const deploymentOwner = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'u', controller: true };

owners('a ReplicaSet controlled by a Deployment is left alone', () => {
  const object = replicaSet([deploymentOwner]);
  assert.equal(collect(object), []);
  const result = plan(object, {}, new Map());
  assert.is(result.skipped, 'controller-owned');
  assert.equal(result.patch, []);
});

owners('a ReplicaSet controlled by another controller (Argo Rollouts) is left alone too', () => {
  const object = replicaSet([{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'r', uid: 'u', controller: true }]);
  assert.is(plan(object, {}, new Map()).skipped, 'controller-owned');
});

owners('a bare ReplicaSet, or one with a non-controller owner, is rewritten', () => {
  assert.equal(statuses(plan(replicaSet())), ['web:rewritten']);
  assert.equal(statuses(plan(replicaSet([{ ...deploymentOwner, controller: false }]))), ['web:rewritten']);
});

owners("the ReplicaSet's Pods, and Jobs created by a CronJob, are rewritten", () => {
  const owned = pod({ containers: [{ name: 'web', image: 'nginx' }] }, { generateName: 'web-', ownerReferences: [{ ...deploymentOwner, kind: 'ReplicaSet' }] });
  assert.equal(statuses(plan(owned)), ['web:rewritten']);
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'c', uid: 'u', controller: true }] },
    spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
  };
  assert.equal(statuses(plan(job)), ['web:rewritten']);
});

rewrite.run();
leave.run();
owners.run();
