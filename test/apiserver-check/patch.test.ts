/**
 * CLUSTER-NOTES 1.12 items 15 and 16 (partly): the base64 JSONPatch is
 * applied to the object; a patch that does not apply, that leaves
 * something other than an object, or that is sent for a DELETE gives 500
 * even under Ignore, and no later webhook runs. Defaulting (only the
 * Namespace label here) runs again after a patch; the rest of item 16 is
 * out of the stand-in's scope.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allow, patchWith } from './helpers/fake-webhook.js';
import { makeConfig, pod, POD_KIND, PODS, valueAt, webhookDoc, withHarness } from './helpers/harness.js';

const test = suite('patches');
const createPod = { operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') } as const;

test('the patch is applied: image rewritten, annotation added', async () => {
  await withHarness(
    {
      configs: (ca) => [makeConfig('c', [webhookDoc('w', ca)])],
      script: (req) =>
        patchWith(req, [
          { op: 'test', path: '/spec/containers/0/image', value: 'alpine:3.12' },
          { op: 'replace', path: '/spec/containers/0/image', value: 'backup.example/library/alpine@sha256:abc' },
          { op: 'add', path: '/metadata/annotations', value: { 'image-cloner.io/original-images': 'alpine:3.12' } },
        ]),
    },
    async ({ api }) => {
      const result = await api.admit(createPod);
      assert.ok(result.allowed, JSON.stringify(result));
      const object = result.allowed ? result.object : undefined;
      assert.is(valueAt(object, '/spec/containers/0/image'), 'backup.example/library/alpine@sha256:abc');
      assert.is(valueAt(object, '/metadata/annotations/image-cloner.io~1original-images'), 'alpine:3.12');
      assert.is(result.calls[0]?.changed, true);
      const annotation = result.auditAnnotations['patch.webhook.admission.k8s.io/round_0_index_0'];
      assert.equal(JSON.parse(annotation ?? '{}'), {
        configuration: 'c',
        webhook: 'w.example.com',
        patch: [
          { op: 'test', path: '/spec/containers/0/image', value: 'alpine:3.12' },
          { op: 'replace', path: '/spec/containers/0/image', value: 'backup.example/library/alpine@sha256:abc' },
          { op: 'add', path: '/metadata/annotations', value: { 'image-cloner.io/original-images': 'alpine:3.12' } },
        ],
        patchType: 'JSONPatch',
      });
    },
  );
});

const failing: [string, unknown[]][] = [
  ['a failing test op', [{ op: 'test', path: '/spec/containers/0/image', value: 'nginx' }, { op: 'replace', path: '/spec/containers/0/image', value: 'x' }]],
  ['a path that does not exist', [{ op: 'replace', path: '/spec/initContainers/0/image', value: 'x' }]],
  ['an unknown op', [{ op: 'merge', path: '/spec', value: {} }]],
  ['a result that is not an object', [{ op: 'replace', path: '', value: ['not', 'an', 'object'] }]],
];

for (const [name, ops] of failing) {
  test(`500 even under Ignore: ${name}`, async () => {
    await withHarness(
      {
        configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { failurePolicy: 'Ignore' }), webhookDoc('later', ca, { failurePolicy: 'Ignore' })])],
        script: (req) => (req.path === '/w' ? patchWith(req, ops) : allow(req)),
      },
      async ({ api, server }) => {
        const result = await api.admit(createPod);
        assert.not.ok(result.allowed);
        if (!result.allowed) {
          assert.is(result.status.code, 500);
          assert.match(result.status.message, /^Internal error occurred: /);
        }
        assert.is(result.calls[0]?.outcome, 'patch-error');
        assert.is(server.requestsTo('/later').length, 0);
      },
    );
  });
}

test('a patch on DELETE: 500 even under Ignore; an empty patch is fine', async () => {
  const rules = [{ operations: ['DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }];
  const remove = { operation: 'DELETE', resource: PODS, kind: POD_KIND, namespace: 'default', name: 'p', oldObject: pod('p') } as const;
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { rules, failurePolicy: 'Ignore' })])], script: (req) => patchWith(req, [{ op: 'add', path: '/x', value: 1 }]) },
    async ({ api }) => {
      const result = await api.admit(remove);
      assert.not.ok(result.allowed);
      if (!result.allowed) {
        assert.is(result.status.code, 500);
        assert.match(result.status.message, /admission webhook "w\.example\.com" attempted to modify the object, which is not supported for this operation/);
      }
    },
  );
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { rules })])], script: (req) => patchWith(req, []) },
    async ({ api }) => assert.ok((await api.admit(remove)).allowed),
  );
});

test('a no-op patch does not count as a change', async () => {
  await withHarness(
    {
      configs: (ca) => [makeConfig('c', [webhookDoc('w', ca)])],
      script: (req) => patchWith(req, [{ op: 'replace', path: '/spec/containers/0/image', value: 'alpine:3.12' }, { op: 'add', path: '/metadata/labels', value: {} }]),
    },
    async ({ api }) => {
      const result = await api.admit(createPod);
      assert.ok(result.allowed);
      assert.is(result.calls[0]?.changed, false);
      assert.equal(JSON.parse(result.auditAnnotations['mutation.webhook.admission.k8s.io/round_0_index_0'] ?? '{}'), { configuration: 'c', webhook: 'w.example.com', mutated: false });
    },
  );
});

test('defaulting runs again after a patch: a Namespace keeps kubernetes.io/metadata.name', async () => {
  const rules = [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'] }];
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { rules })])], script: (req) => patchWith(req, [{ op: 'replace', path: '/metadata/labels', value: { team: 'a' } }]) },
    async ({ api }) => {
      const result = await api.admit({
        operation: 'CREATE',
        resource: { group: '', version: 'v1', resource: 'namespaces' },
        kind: { group: '', version: 'v1', kind: 'Namespace' },
        object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
      });
      assert.ok(result.allowed);
      assert.equal(valueAt(result.allowed ? result.object : undefined, '/metadata/labels'), { team: 'a', 'kubernetes.io/metadata.name': 'shop' });
    },
  );
});

test.run();
