import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_WARNING_LENGTH, MAX_WARNINGS } from '../../src/core/admission-warnings.js';
import { parseMutationPolicy } from '../../src/core/mutation-policy.js';
import { collectImages, planMutation } from '../../src/core/plan-mutation.js';
import type { CopyOutcome, MutationPlan } from '../../src/core/plan-mutation.js';
import { podSpecTokens, WORKLOAD_KINDS } from '../../src/core/pod-specs.js';
import type { WorkloadKind } from '../../src/core/pod-specs.js';
import { applyPatch } from './apply-patch.js';
import { parseRequest, reviewFor } from './k8s-fixtures.js';
import type { ReviewOptions } from './k8s-fixtures.js';

const D = `sha256:${'d'.repeat(64)}`;
const B = 'backup.example:5000';
const KEY = 'image-cloner.io/original-images';
const policy = parseMutationPolicy({ registry: B });
const strict = parseMutationPolicy({ registry: B, strict: true });

type Containers = Record<string, string>;

function pod(containers: Containers, extra: { ephemeral?: Containers; annotations?: Record<string, string> } = {}) {
  const list = (c: Containers) => Object.entries(c).map(([name, image]) => ({ name, image, imagePullPolicy: 'IfNotPresent' }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', uid: 'x', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { containers: list(containers), ...(extra.ephemeral ? { ephemeralContainers: list(extra.ephemeral) } : {}) },
  };
}

function deployment(containers: Containers, replicas = 1) {
  const d = pod(containers);
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas, template: { spec: d.spec } } };
}

function outcomesFor(object: unknown, options: ReviewOptions, outcome: (key: string) => CopyOutcome): Map<string, CopyOutcome> {
  return new Map(collectImages(parseRequest(reviewFor(object, options)), policy).map((c) => [c.key, outcome(c.key)]));
}

function run(object: unknown, options: ReviewOptions = {}, outcome: (key: string) => CopyOutcome = () => ({ status: 'ready', digest: D }), p = policy): MutationPlan {
  return planMutation(parseRequest(reviewFor(object, options)), p, outcomesFor(object, options, outcome));
}

function statuses(result: MutationPlan): string[] {
  return result.images.map((i) => `${i.slot.container}:${i.status}`);
}

const update = suite('planMutation: UPDATE rewrites only what the update introduced');

update('a scale-only change: no copy, no patch (even for images never rewritten)', () => {
  const old = deployment({ web: 'nginx:1.25' }, 1);
  const object = deployment({ web: 'nginx:1.25' }, 5);
  const options: ReviewOptions = { operation: 'UPDATE', oldObject: old };
  assert.equal(collectImages(parseRequest(reviewFor(object, options)), policy), []);
  const result = run(object, options);
  assert.equal(statuses(result), ['web:unchanged-on-update']);
  assert.equal(result.patch, []);
  assert.equal(result.warnings, []);
});

update('one changed container of two: only it is rewritten', () => {
  const old = pod({ a: 'nginx:1', b: 'redis:7' });
  const result = run(pod({ a: 'nginx:2', b: 'redis:7' }), { operation: 'UPDATE', oldObject: old });
  assert.equal(statuses(result), ['a:rewritten', 'b:unchanged-on-update']);
  assert.equal(result.patch[0], { op: 'replace', path: '/spec/containers/0/image', value: `${B}/docker.io/library/nginx:2@${D}` });
});

update('compared by container name, not index: a reorder changes nothing', () => {
  const old = pod({ a: 'nginx:1', b: 'redis:7' });
  const result = run(pod({ b: 'redis:7', a: 'nginx:1' }), { operation: 'UPDATE', oldObject: old });
  assert.equal(statuses(result), ['b:unchanged-on-update', 'a:unchanged-on-update']);
  assert.equal(result.patch, []);
});

update('a renamed container counts as new', () => {
  const result = run(pod({ b: 'nginx:1' }), { operation: 'UPDATE', oldObject: pod({ a: 'nginx:1' }) });
  assert.equal(statuses(result), ['b:rewritten']);
});

update('re-applying the source reference keeps the backup copy already running, with no registry call', () => {
  const running = `${B}/docker.io/library/nginx:1.25@${D}`;
  const annotations = { [KEY]: '{"web":"nginx:1.25"}' };
  const old = pod({ web: running }, { annotations });
  const object = pod({ web: 'nginx:1.25' }, { annotations });
  const options: ReviewOptions = { operation: 'UPDATE', oldObject: old };
  assert.equal(collectImages(parseRequest(reviewFor(object, options)), policy), []);
  const result = run(object, options, (): CopyOutcome => {
    throw new Error('no copy is needed');
  });
  assert.equal(statuses(result), ['web:reused']);
  assert.equal(result.patch, [{ op: 'replace', path: '/spec/containers/0/image', value: running }], 'annotation already right');
  assert.equal(applyPatch(object, result.patch), old);
});

update('but a different tag is a new image', () => {
  const old = pod({ web: `${B}/docker.io/library/nginx:1.24@${D}` });
  const result = run(pod({ web: 'nginx:1.25' }), { operation: 'UPDATE', oldObject: old });
  assert.equal(statuses(result), ['web:rewritten']);
});

update('pods/ephemeralcontainers: only the new debug container', () => {
  const old = pod({ app: 'nginx:1' });
  const object = pod({ app: 'nginx:1' }, { ephemeral: { debugger: 'busybox:1.37' } });
  const result = run(object, { operation: 'UPDATE', oldObject: old, subResource: 'ephemeralcontainers' });
  assert.equal(statuses(result), ['app:unchanged-on-update', 'debugger:rewritten']);
  assert.equal(result.patch[0], { op: 'replace', path: '/spec/ephemeralContainers/0/image', value: `${B}/docker.io/library/busybox:1.37@${D}` });
});

update('an UPDATE without oldObject treats every image as new', () => {
  assert.equal(statuses(run(pod({ a: 'nginx' }), { operation: 'UPDATE' })), ['a:rewritten']);
});

const late = suite('planMutation: pending, failed, strict mode');

const pendingForNginx = (key: string): CopyOutcome => (key.includes('nginx') ? { status: 'pending' } : { status: 'ready', digest: D });

late('pending: the original is kept, with a warning; ready images are still rewritten', () => {
  const result = run(pod({ a: 'nginx:1', b: 'redis:7' }), {}, pendingForNginx);
  assert.equal(statuses(result), ['a:pending', 'b:rewritten']);
  assert.equal(result.patch.map((op) => op.path), ['/spec/containers/1/image', '/metadata/annotations']);
  assert.equal(result.warnings, ['image-cloner: container "a": nginx:1 not in the backup registry yet; original kept']);
  assert.is(result.deny, undefined);
});

late('failed: the original is kept, with a warning naming the reason', () => {
  const result = run(pod({ a: 'nginx:1' }), {}, () => ({ status: 'failed', reason: 'manifest unknown' }));
  assert.equal(result.patch, []);
  assert.match(result.warnings[0] ?? '', /copy of nginx:1 failed, original kept: manifest unknown$/);
});

late('strict: a pending copy denies with 503 and no patch', () => {
  const result = run(pod({ a: 'nginx:1', b: 'redis:7' }), {}, pendingForNginx, strict);
  assert.equal(result.patch, []);
  assert.is(result.deny?.code, 503);
  assert.match(result.deny?.message ?? '', /container "a" nginx:1 \(copy in progress\)/);
});

late('strict: a failed copy denies with 403', () => {
  const result = run(pod({ a: 'nginx:1' }), {}, () => ({ status: 'failed', reason: 'x' }), strict);
  assert.is(result.deny?.code, 403);
});

late('strict: invalid references are still only warned about, and ready copies pass', () => {
  const result = run(pod({ a: 'Bad', b: 'nginx' }), {}, undefined, strict);
  assert.is(result.deny, undefined);
  assert.equal(statuses(result), ['a:invalid', 'b:rewritten']);
  assert.is(result.warnings.length, 1);
});

const idem = suite('planMutation: idempotent (reinvocationPolicy IfNeeded)');

idem('planning its own output changes nothing, on CREATE and on a reinvocation', () => {
  const object = pod({ a: 'nginx', b: `gcr.io/x/y@${D}`, c: 'registry.k8s.io/pause:3.10' });
  const first = run(object);
  const patched = applyPatch(object, first.patch);
  const again = run(patched);
  assert.equal(again.patch, []);
  assert.equal(statuses(again), ['a:in-backup', 'b:in-backup', 'c:in-backup']);
  assert.equal(run(patched, { operation: 'UPDATE', oldObject: patched }).patch, []);
});

idem('the annotation keeps live entries, drops stale ones, and is rewritten only with an image', () => {
  const annotations = { [KEY]: JSON.stringify({ gone: 'x', b: 'redis', zz: 'nginx:old' }) };
  const object = pod({ a: 'nginx', b: `${B}/docker.io/library/redis:latest@${D}`, zz: 'quay.io/external/x:1' }, { annotations });
  const pending = (key: string): CopyOutcome => (key.includes('quay') ? { status: 'pending' } : { status: 'ready', digest: D });
  const result = run(object, {}, pending);
  assert.equal(result.patch.at(-1), { op: 'add', path: '/metadata/annotations/image-cloner.io~1original-images', value: '{"a":"nginx","b":"redis"}' });
  const untouched = run(pod({ b: `${B}/x:1` }, { annotations: { [KEY]: 'not json' } }));
  assert.equal(untouched.patch, []);
});

const bounds = suite('planMutation: bounded warnings, never throws');

bounds('many bad images: at most MAX_WARNINGS warnings, each under 120 characters', () => {
  const containers: Containers = {};
  for (let i = 0; i < 40; i += 1) containers[`c${i}-${'n'.repeat(50)}`] = `Bad${i}/${'x'.repeat(300)}`;
  const result = run(pod(containers));
  assert.is(result.warnings.length, MAX_WARNINGS);
  assert.match(result.warnings.at(-1) ?? '', /and 25 more warnings/);
  for (const warning of result.warnings) assert.ok(warning.length <= MAX_WARNING_LENGTH && warning.length < 120, warning);
});

bounds('control characters never reach a warning', () => {
  const result = run(pod({ a: 'bad\nimage\u0007' }));
  assert.ok(!/[\u0000-\u001f]/.test(result.warnings[0] ?? ''), result.warnings[0]);
});

/** Seeded random JSON with a bias for pod-spec-like keys, to hit half-right shapes. */
function randomJson(next: () => number, depth: number): unknown {
  const keys = ['spec', 'template', 'jobTemplate', 'containers', 'initContainers', 'ephemeralContainers', 'volumes'];
  keys.push('image', 'reference', 'name', 'metadata', 'annotations', 'ownerReferences', 'controller');
  const r = next();
  if (depth > 6 || r < 0.25) return [null, true, 3, 'nginx', 'Bad', '', `${B}/x:1`][Math.floor(next() * 7)] ?? null;
  if (r < 0.45) return Array.from({ length: Math.floor(next() * 3) }, () => randomJson(next, depth + 1));
  const out: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 4); i > 0; i -= 1) out[keys[Math.floor(next() * keys.length)] ?? 'x'] = randomJson(next, depth + 1);
  return out;
}

/** A valid object of `kind` whose nodes are then replaced, now and then, by random JSON. */
function corruptedWorkload(kind: WorkloadKind, next: () => number): Record<string, unknown> {
  const images = ['nginx', 'Bad', '', `${B}/x:1`, `gcr.io/a/b@${D}`, 'quay.io/o/r:1'];
  const image = (): string => images[Math.floor(next() * images.length)] ?? 'nginx';
  const list = (prefix: string) => Array.from({ length: Math.floor(next() * 3) }, (_, i) => ({ name: `${prefix}${i}`, image: image() }));
  const podSpec = {
    containers: list('c'),
    initContainers: list('i'),
    ephemeralContainers: list('e'),
    volumes: [{ name: 'v', image: { reference: image() } }, { name: 'r', rbd: { image: 'foo' } }],
  };
  const tokens = podSpecTokens(kind);
  let body: Record<string, unknown> = podSpec;
  for (const token of [...tokens].reverse()) body = { [token]: body };
  const metadata = { name: 'x', annotations: { [KEY]: '{"c0":"nginx"}' }, ownerReferences: next() < 0.1 ? [{ kind: 'Deployment', controller: true }] : [] };
  const corrupt = (node: unknown, depth: number): unknown => {
    if (next() < 0.04) return randomJson(next, depth);
    if (Array.isArray(node)) return node.map((item) => corrupt(item, depth + 1));
    if (typeof node === 'object' && node !== null) {
      return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, corrupt(value, depth + 1)]));
    }
    return node;
  };
  const corrupted = corrupt({ metadata, ...body }, 0);
  return typeof corrupted === 'object' && corrupted !== null && !Array.isArray(corrupted) ? { ...corrupted } : {};
}

const API_VERSIONS: Readonly<Record<string, string>> = {
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
};

bounds('random object shapes: never throws, and any patch applies', () => {
  let state = 42;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const seen = { patched: 0, badShape: 0, unchanged: 0 };
  for (let i = 0; i < 3000; i += 1) {
    const kind = WORKLOAD_KINDS[i % WORKLOAD_KINDS.length] ?? 'Pod';
    const apiVersion = API_VERSIONS[kind] ?? 'v1';
    const object = { ...corruptedWorkload(kind, next), apiVersion, kind };
    const oldObject = i % 2 === 0 ? { ...corruptedWorkload(kind, next), apiVersion, kind } : randomJson(next, 0);
    const result = run(object, { operation: i % 3 === 0 ? 'UPDATE' : 'CREATE', oldObject });
    if (result.patch.length > 0) applyPatch(object, result.patch);
    for (const warning of result.warnings) assert.ok(warning.length < 120);
    if (result.patch.length > 0) seen.patched += 1;
    else if (result.skipped === 'bad-shape') seen.badShape += 1;
    else seen.unchanged += 1;
  }
  for (const [what, count] of Object.entries(seen)) assert.ok(count > 50, `${what}: ${count}`);
});

update.run();
late.run();
idem.run();
bounds.run();
