import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isClonerError } from '../../src/core/errors.js';
import type { PatchOp } from '../../src/core/json-patch.js';
import { parseMutationPolicy } from '../../src/core/mutation-policy.js';
import type { MutationPolicy } from '../../src/core/mutation-policy.js';
import { collectImages, planMutation } from '../../src/core/plan-mutation.js';
import type { CopyOutcome, MutationPlan } from '../../src/core/plan-mutation.js';
import { isSecretName } from '../../src/core/pull-secret-injection.js';
import { applyPatch } from './apply-patch.js';
import { parseRequest, reviewFor, valueAt } from './k8s-fixtures.js';
import type { ReviewOptions } from './k8s-fixtures.js';

const D = `sha256:${'d'.repeat(64)}`;
const B = 'backup.example:5000';
const SECRET = 'backup-pull';
const withSecret = parseMutationPolicy({ registry: B, imagePullSecret: SECRET, exclude: ['docker.io/library/busybox'] });
const withoutSecret = parseMutationPolicy({ registry: B });

type Containers = Record<string, string>;
interface SpecExtra {
  readonly pullSecrets?: unknown;
  readonly ephemeral?: Containers;
}

function podSpec(containers: Containers, extra: SpecExtra = {}): Record<string, unknown> {
  const list = (c: Containers) => Object.entries(c).map(([name, image]) => ({ name, image }));
  return {
    containers: list(containers),
    ...(extra.ephemeral ? { ephemeralContainers: list(extra.ephemeral) } : {}),
    ...('pullSecrets' in extra ? { imagePullSecrets: extra.pullSecrets } : {}),
  };
}

function pod(containers: Containers, extra: SpecExtra = {}) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: podSpec(containers, extra) };
}

function deployment(containers: Containers, extra: SpecExtra = {}, replicas = 1) {
  const template = { spec: podSpec(containers, extra) };
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas, template } };
}

function cronJob(containers: Containers, extra: SpecExtra = {}) {
  const jobTemplate = { spec: { template: { spec: podSpec(containers, extra) } } };
  return { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { schedule: '@daily', jobTemplate } };
}

function plan(object: unknown, options: ReviewOptions, policy: MutationPolicy, outcome: CopyOutcome): MutationPlan {
  const request = parseRequest(reviewFor(object, options));
  const outcomes = new Map(collectImages(request, policy).map((copy) => [copy.key, outcome]));
  return planMutation(request, policy, outcomes);
}

const ready: CopyOutcome = { status: 'ready', digest: D };
const pullOps = (patch: readonly PatchOp[]) => patch.filter((op) => op.path.includes('/imagePullSecrets'));

interface Case {
  readonly name: string;
  readonly object: unknown;
  readonly options?: ReviewOptions;
  readonly policy?: MutationPolicy;
  readonly outcome?: CopyOutcome;
  /** Pointer of the pod spec's imagePullSecrets. */
  readonly at: string;
  readonly ops: readonly PatchOp[];
  /** imagePullSecrets once the patch is applied. */
  readonly after: unknown;
  /** How many images the plan rewrites (replace ops on images). */
  readonly rewrites: number;
}

const cases: readonly Case[] = [
  {
    name: 'Pod without a list: the whole list is added',
    object: pod({ web: 'nginx:1.25' }),
    at: '/spec/imagePullSecrets',
    ops: [{ op: 'add', path: '/spec/imagePullSecrets', value: [{ name: SECRET }] }],
    after: [{ name: SECRET }],
    rewrites: 1,
  },
  {
    name: 'Deployment without a list: added at the template pod spec',
    object: deployment({ web: 'nginx:1.25' }),
    at: '/spec/template/spec/imagePullSecrets',
    ops: [{ op: 'add', path: '/spec/template/spec/imagePullSecrets', value: [{ name: SECRET }] }],
    after: [{ name: SECRET }],
    rewrites: 1,
  },
  {
    name: 'CronJob without a list: added at the job template pod spec',
    object: cronJob({ job: 'alpine:3.20' }),
    at: '/spec/jobTemplate/spec/template/spec/imagePullSecrets',
    ops: [{ op: 'add', path: '/spec/jobTemplate/spec/template/spec/imagePullSecrets', value: [{ name: SECRET }] }],
    after: [{ name: SECRET }],
    rewrites: 1,
  },
  {
    name: 'list of other entries: appended with "-", the others kept in order',
    object: deployment({ web: 'nginx:1.25' }, { pullSecrets: [{ name: 'a' }, { name: 'b' }] }),
    at: '/spec/template/spec/imagePullSecrets',
    ops: [{ op: 'add', path: '/spec/template/spec/imagePullSecrets/-', value: { name: SECRET } }],
    after: [{ name: 'a' }, { name: 'b' }, { name: SECRET }],
    rewrites: 1,
  },
  {
    name: 'null list: added whole',
    object: cronJob({ job: 'alpine:3.20' }, { pullSecrets: null }),
    at: '/spec/jobTemplate/spec/template/spec/imagePullSecrets',
    ops: [{ op: 'add', path: '/spec/jobTemplate/spec/template/spec/imagePullSecrets', value: [{ name: SECRET }] }],
    after: [{ name: SECRET }],
    rewrites: 1,
  },
  {
    name: 'entry already present (after other entries): nothing added',
    object: pod({ web: 'nginx:1.25' }, { pullSecrets: [{ name: 'a' }, { name: SECRET }] }),
    at: '/spec/imagePullSecrets',
    ops: [],
    after: [{ name: 'a' }, { name: SECRET }],
    rewrites: 1,
  },
  {
    name: 'two images rewritten: still one entry',
    object: pod({ web: 'nginx:1.25', cache: 'redis:7' }),
    at: '/spec/imagePullSecrets',
    ops: [{ op: 'add', path: '/spec/imagePullSecrets', value: [{ name: SECRET }] }],
    after: [{ name: SECRET }],
    rewrites: 2,
  },
  {
    name: 'nothing rewritten (already in the backup): untouched',
    object: deployment({ web: `${B}/docker.io/library/nginx:1.25` }),
    at: '/spec/template/spec/imagePullSecrets',
    ops: [],
    after: undefined,
    rewrites: 0,
  },
  {
    name: 'nothing rewritten (excluded image): untouched',
    object: pod({ sh: 'busybox:1.37' }),
    at: '/spec/imagePullSecrets',
    ops: [],
    after: undefined,
    rewrites: 0,
  },
  {
    name: 'nothing rewritten (copy failed, original admitted): untouched',
    object: pod({ web: 'nginx:1.25' }),
    outcome: { status: 'failed', reason: 'unreachable' },
    at: '/spec/imagePullSecrets',
    ops: [],
    after: undefined,
    rewrites: 0,
  },
  {
    name: 'IMAGE_PULL_SECRET unset: rewritten but no entry',
    object: deployment({ web: 'nginx:1.25' }),
    policy: withoutSecret,
    at: '/spec/template/spec/imagePullSecrets',
    ops: [],
    after: undefined,
    rewrites: 1,
  },
  {
    name: 'imagePullSecrets not a list: left for API validation to refuse',
    object: pod({ web: 'nginx:1.25' }, { pullSecrets: 'regcred' }),
    at: '/spec/imagePullSecrets',
    ops: [],
    after: 'regcred',
    rewrites: 1,
  },
  {
    name: 'UPDATE introducing an image: injected',
    object: deployment({ web: 'nginx:1.26' }),
    options: { operation: 'UPDATE', oldObject: deployment({ web: 'nginx:1.25' }) },
    at: '/spec/template/spec/imagePullSecrets',
    ops: [{ op: 'add', path: '/spec/template/spec/imagePullSecrets', value: [{ name: SECRET }] }],
    after: [{ name: SECRET }],
    rewrites: 1,
  },
  {
    name: 'UPDATE re-applying the source of the running copy: the entry comes back with it',
    object: deployment({ web: 'nginx:1.25' }),
    options: { operation: 'UPDATE', oldObject: deployment({ web: `${B}/docker.io/library/nginx:1.25@${D}` }, { pullSecrets: [{ name: SECRET }] }) },
    at: '/spec/template/spec/imagePullSecrets',
    ops: [{ op: 'add', path: '/spec/template/spec/imagePullSecrets', value: [{ name: SECRET }] }],
    after: [{ name: SECRET }],
    rewrites: 1,
  },
  {
    name: 'UPDATE changing no image (scale): untouched',
    object: deployment({ web: 'nginx:1.25' }, {}, 5),
    options: { operation: 'UPDATE', oldObject: deployment({ web: 'nginx:1.25' }) },
    at: '/spec/template/spec/imagePullSecrets',
    ops: [],
    after: undefined,
    rewrites: 0,
  },
  {
    name: 'pods/ephemeralcontainers: the debug image is rewritten, no entry (the subresource keeps only ephemeralContainers)',
    object: pod({ app: 'nginx:1' }, { ephemeral: { debugger: 'alpine:3.20' } }),
    options: { operation: 'UPDATE', oldObject: pod({ app: 'nginx:1' }), subResource: 'ephemeralcontainers' },
    at: '/spec/imagePullSecrets',
    ops: [],
    after: undefined,
    rewrites: 1,
  },
];

const inject = suite('planMutation with IMAGE_PULL_SECRET: imagePullSecrets of rewritten pod specs');

for (const c of cases) {
  inject(c.name, () => {
    const policy = c.policy ?? withSecret;
    const result = plan(c.object, c.options ?? {}, policy, c.outcome ?? ready);
    assert.is(result.deny, undefined);
    assert.is(result.patch.filter((op) => op.op === 'replace' && op.path.endsWith('/image')).length, c.rewrites);
    assert.equal(pullOps(result.patch), c.ops);
    const patched = applyPatch(c.object, result.patch);
    assert.equal(valueAt(patched, c.at), c.after);

    // Idempotent: the reinvocation (same request, patched object) and the
    // object read back and re-submitted both plan nothing.
    const again = plan(patched, c.options ?? {}, policy, c.outcome ?? ready);
    assert.equal(again.patch, []);
    const resubmitted = plan(patched, { operation: 'UPDATE', oldObject: patched }, policy, ready);
    assert.equal(resubmitted.patch, []);
  });
}

inject('a later image change on the patched object adds no second entry', () => {
  const first = deployment({ web: 'nginx:1.25' });
  const patched = applyPatch(first, plan(first, {}, withSecret, ready).patch);
  const changed = structuredClone(patched);
  const spec = valueAt(changed, '/spec/template/spec');
  assert.ok(typeof spec === 'object' && spec !== null && 'containers' in spec && Array.isArray(spec.containers));
  spec.containers.push({ name: 'cache', image: 'redis:7' });
  const result = plan(changed, { operation: 'UPDATE', oldObject: patched }, withSecret, ready);
  assert.is(result.patch.filter((op) => op.op === 'replace').length, 1);
  assert.equal(pullOps(result.patch), []);
  assert.equal(valueAt(applyPatch(changed, result.patch), '/spec/template/spec/imagePullSecrets'), [{ name: SECRET }]);
});

const names = suite('IMAGE_PULL_SECRET names: RFC 1123 subdomains');

const good = ['regcred', 'backup-pull', 'a.b-c.d', '0', 'a'.repeat(253)];
const bad = ['', 'Regcred', 'reg_cred', '-reg', 'reg-', 'reg.', '.reg', 'a..b', 'reg cred', 'a'.repeat(254)];

for (const name of good) {
  names(`accepted: ${name.length > 20 ? `${name.length} characters` : name}`, () => {
    assert.ok(isSecretName(name));
    assert.is(parseMutationPolicy({ registry: B, imagePullSecret: name }).imagePullSecret, name);
  });
}
for (const name of bad) {
  names(`refused: ${JSON.stringify(name.length > 20 ? `${name.length} characters` : name)}`, () => {
    assert.not.ok(isSecretName(name));
    try {
      parseMutationPolicy({ registry: B, imagePullSecret: name });
      assert.unreachable();
    } catch (error) {
      assert.ok(isClonerError(error) && error.code === 'IC_ERR_BAD_CONFIG', String(error));
      assert.match(error.message, `image pull secret ${JSON.stringify(name)} is not a valid Secret name`);
    }
  });
}

names('unset by default', () => {
  assert.is(withoutSecret.imagePullSecret, undefined);
});

inject.run();
names.run();
