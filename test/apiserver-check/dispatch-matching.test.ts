/**
 * Which requests reach a webhook, through the stand-in and a real HTTPS
 * webhook (CLUSTER-NOTES 1.12 items 2-7): resource patterns and
 * subresources, scope, exempt configuration kinds, namespaceSelector
 * (cluster-scoped objects, Namespace objects' own labels, the automatic
 * kubernetes.io/metadata.name label, 404 for a missing namespace) and
 * objectSelector (old OR new labels, a null object never matches).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AdmissionAttributes } from '../apiserver/types.js';
import { allow } from './helpers/fake-webhook.js';
import { makeConfig, pod, POD_KIND, PODS, webhookDoc, withHarness } from './helpers/harness.js';

const test = suite('dispatch matching');

const ALL = [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'] }];
const rulesFor = (resources: string[], scope?: string) => [
  { operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources, ...(scope === undefined ? {} : { scope }) },
];

const createPod = (labels?: Record<string, string>, namespace = 'default'): AdmissionAttributes => ({
  operation: 'CREATE',
  resource: PODS,
  kind: POD_KIND,
  namespace,
  object: pod('p', labels === undefined ? {} : { labels }),
});
const ns = (name: string, labels?: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels === undefined ? {} : { labels }) } });
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };
const NAMESPACE_KIND = { group: '', version: 'v1', kind: 'Namespace' };
const scaleUpdate: AdmissionAttributes = {
  operation: 'UPDATE',
  resource: { group: 'apps', version: 'v1', resource: 'deployments', subResource: 'scale' },
  kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
  namespace: 'default',
  object: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web' }, spec: { replicas: 3 } },
  oldObject: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web' }, spec: { replicas: 1 } },
};
const ephemeralUpdate: AdmissionAttributes = {
  operation: 'UPDATE',
  resource: { ...PODS, subResource: 'ephemeralcontainers' },
  kind: POD_KIND,
  namespace: 'default',
  object: pod('p'),
  oldObject: pod('p'),
};
const node = (labels?: Record<string, string>): AdmissionAttributes => ({
  operation: 'CREATE',
  resource: { group: '', version: 'v1', resource: 'nodes' },
  kind: { group: '', version: 'v1', kind: 'Node' },
  object: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', ...(labels === undefined ? {} : { labels }) } },
});
const WITH_TEAM_A = { matchLabels: { team: 'a' } };
const APP_WEB = { matchLabels: { app: 'web' } };
const OPT_OUT = { matchExpressions: [{ key: 'opt-out', operator: 'DoesNotExist' }] };

/** [name, webhook overrides, request, expected: true = called, false = allowed without a call, number = rejected with that code] */
const cases: [string, Record<string, unknown>, AdmissionAttributes, boolean | number][] = [
  // item 2
  ['pods rule misses pods/ephemeralcontainers', { rules: rulesFor(['pods']) }, ephemeralUpdate, false],
  ['pods/ephemeralcontainers rule gets kubectl debug', { rules: rulesFor(['pods', 'pods/ephemeralcontainers']) }, ephemeralUpdate, true],
  ['* misses deployments/scale', { rules: rulesFor(['*']) }, scaleUpdate, false],
  ['*/scale gets deployments/scale', { rules: rulesFor(['*/scale']) }, scaleUpdate, true],
  ['*/* gets deployments/scale', { rules: ALL }, scaleUpdate, true],
  // item 3
  ['scope Namespaced never gets a Namespace', { rules: rulesFor(['*'], 'Namespaced') }, { operation: 'CREATE', resource: NAMESPACES, kind: NAMESPACE_KIND, object: ns('new') }, false],
  ['scope Cluster gets a Namespace', { rules: rulesFor(['*'], 'Cluster') }, { operation: 'CREATE', resource: NAMESPACES, kind: NAMESPACE_KIND, object: ns('new') }, true],
  ['scope Cluster misses a Pod', { rules: rulesFor(['*'], 'Cluster') }, createPod(), false],
  // item 4
  [
    'a MutatingWebhookConfiguration is never sent',
    { rules: ALL },
    { operation: 'CREATE', resource: { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'mutatingwebhookconfigurations' }, kind: { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'MutatingWebhookConfiguration' }, object: { metadata: { name: 'x' } } },
    false,
  ],
  [
    'a ValidatingAdmissionPolicyBinding is never sent',
    { rules: ALL },
    { operation: 'DELETE', resource: { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingadmissionpolicybindings' }, kind: { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingAdmissionPolicyBinding' }, name: 'x', oldObject: { metadata: { name: 'x' } } },
    false,
  ],
  // item 5
  ['namespaceSelector is ignored for cluster-scoped kinds', { rules: ALL, namespaceSelector: WITH_TEAM_A }, node(), true],
  ['Namespace CREATE: its own labels match', { rules: ALL, namespaceSelector: WITH_TEAM_A }, { operation: 'CREATE', resource: NAMESPACES, kind: NAMESPACE_KIND, object: ns('new', { team: 'a' }) }, true],
  ['Namespace CREATE: its own labels do not match', { rules: ALL, namespaceSelector: WITH_TEAM_A }, { operation: 'CREATE', resource: NAMESPACES, kind: NAMESPACE_KIND, object: ns('new') }, false],
  [
    'Namespace UPDATE reads the incoming object, not the stored one',
    { rules: ALL, namespaceSelector: WITH_TEAM_A },
    { operation: 'UPDATE', resource: NAMESPACES, kind: NAMESPACE_KIND, object: ns('team', { team: 'b' }), oldObject: ns('team', { team: 'a' }) },
    false,
  ],
  ['Namespace DELETE reads the stored namespace', { rules: ALL, namespaceSelector: WITH_TEAM_A }, { operation: 'DELETE', resource: NAMESPACES, kind: NAMESPACE_KIND, name: 'team', oldObject: ns('team') }, true],
  ['a Pod in a namespace whose labels match', { rules: ALL, namespaceSelector: WITH_TEAM_A }, createPod(undefined, 'team'), true],
  ['a Pod in a namespace whose labels do not', { rules: ALL, namespaceSelector: WITH_TEAM_A }, createPod(), false],
  // item 6
  [
    'kubernetes.io/metadata.name excludes a namespace',
    { rules: ALL, namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['default', 'kube-system'] }] } },
    createPod(),
    false,
  ],
  [
    'kubernetes.io/metadata.name lets others through',
    { rules: ALL, namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['default', 'kube-system'] }] } },
    createPod(undefined, 'team'),
    true,
  ],
  [
    'a new Namespace already carries kubernetes.io/metadata.name',
    { rules: ALL, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'new' } } },
    { operation: 'CREATE', resource: NAMESPACES, kind: NAMESPACE_KIND, object: ns('new') },
    true,
  ],
  ['missing namespace, selector set, rule matched: 404', { rules: ALL, namespaceSelector: WITH_TEAM_A }, createPod(undefined, 'ghost'), 404],
  ['missing namespace, empty selector: called', { rules: ALL }, createPod(undefined, 'ghost'), true],
  ['missing namespace, no rule matched: no error', { rules: rulesFor(['configmaps']), namespaceSelector: WITH_TEAM_A }, createPod(undefined, 'ghost'), false],
  // item 7
  ['objectSelector: new object labelled', { rules: ALL, objectSelector: APP_WEB }, createPod({ app: 'web' }), true],
  ['objectSelector: new object not labelled', { rules: ALL, objectSelector: APP_WEB }, createPod({ app: 'db' }), false],
  [
    'objectSelector: UPDATE where only the old object matches',
    { rules: ALL, objectSelector: APP_WEB },
    { operation: 'UPDATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p'), oldObject: pod('p', { labels: { app: 'web' } }) },
    true,
  ],
  [
    'objectSelector: DELETE matches on the old object',
    { rules: ALL, objectSelector: APP_WEB },
    { operation: 'DELETE', resource: PODS, kind: POD_KIND, namespace: 'default', name: 'p', oldObject: pod('p', { labels: { app: 'web' } }) },
    true,
  ],
  ['opt-out label: absent on CREATE, called', { rules: ALL, objectSelector: OPT_OUT }, createPod(), true],
  ['opt-out label: present on CREATE, the null oldObject does not match either', { rules: ALL, objectSelector: OPT_OUT }, createPod({ 'opt-out': 'true' }), false],
  [
    'objectSelector: an object without metadata (PodExecOptions) never matches',
    { rules: ALL, objectSelector: OPT_OUT },
    { operation: 'CONNECT', resource: { ...PODS, subResource: 'exec' }, kind: { group: '', version: 'v1', kind: 'PodExecOptions' }, namespace: 'default', name: 'p', object: { kind: 'PodExecOptions', apiVersion: 'v1' } },
    false,
  ],
  ['empty objectSelector matches an object without metadata', { rules: ALL }, { operation: 'CONNECT', resource: { ...PODS, subResource: 'exec' }, kind: { group: '', version: 'v1', kind: 'PodExecOptions' }, namespace: 'default', name: 'p', object: { kind: 'PodExecOptions' } }, true],
];

for (const [name, overrides, request, expected] of cases) {
  test(name, async () => {
    await withHarness({ configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, overrides)])], script: (req) => allow(req) }, async ({ api, server }) => {
      const result = await api.admit(request);
      if (typeof expected === 'number') {
        assert.not.ok(result.allowed, 'rejected');
        if (!result.allowed) assert.is(result.status.code, expected, result.status.message);
        assert.is(server.requests.length, 0);
        return;
      }
      assert.ok(result.allowed, JSON.stringify(result));
      assert.is(server.requests.length, expected ? 1 : 0, expected ? 'called' : 'not called');
    });
  });
}

test('a missing namespace gives the API server\'s NotFound status', async () => {
  await withHarness({ configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { namespaceSelector: WITH_TEAM_A })])], script: (req) => allow(req) }, async ({ api }) => {
    const result = await api.admit(createPod(undefined, 'ghost'));
    assert.not.ok(result.allowed);
    if (!result.allowed) {
      assert.is(result.status.reason, 'NotFound');
      assert.is(result.status.message, 'namespaces "ghost" not found');
    }
  });
});

test('the Namespace object sent carries its kubernetes.io/metadata.name label', async () => {
  await withHarness({ configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { rules: ALL })])], script: (req) => allow(req) }, async ({ api, server }) => {
    const result = await api.admit({ operation: 'CREATE', resource: NAMESPACES, kind: NAMESPACE_KIND, object: ns('new') });
    assert.ok(result.allowed);
    const request = server.requests[0]?.review.request;
    assert.equal(request?.object, ns('new', { 'kubernetes.io/metadata.name': 'new' }));
    assert.is(request?.namespace, 'new', 'a Namespace request carries its own name as namespace');
  });
});

test('the object\'s namespace must agree with the request\'s: 400', async () => {
  await withHarness({ configs: (ca) => [makeConfig('c', [webhookDoc('w', ca)])], script: (req) => allow(req) }, async ({ api, server }) => {
    const object = { ...pod('p'), metadata: { name: 'p', namespace: 'team' } };
    const result = await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object });
    assert.not.ok(result.allowed);
    if (!result.allowed) assert.is(result.status.code, 400);
    assert.is(server.requests.length, 0);
  });
});

test.run();
