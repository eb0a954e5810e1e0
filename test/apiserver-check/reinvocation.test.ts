/**
 * CLUSTER-NOTES 1.12 item 21 (src mutating/dispatcher.go,
 * reinvocationcontext.go): a semantic change marks the IfNeeded webhooks
 * called before it; there is at most one extra round, calling only marked
 * webhooks that still match; a webhook not called in round 0 is never
 * called in round 1; the changer does not mark itself; a no-op patch
 * starts nothing.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allow, patchWith } from './helpers/fake-webhook.js';
import type { ReceivedRequest, Reply } from './helpers/fake-webhook.js';
import { makeConfig, pod, POD_KIND, PODS, valueAt, webhookDoc, withHarness } from './helpers/harness.js';

const test = suite('reinvocation');
const createPod = (labels?: Record<string, string>) =>
  ({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p', labels === undefined ? {} : { labels }) }) as const;
const IF_NEEDED = { reinvocationPolicy: 'IfNeeded' };
const setLabel = (req: ReceivedRequest, key: string, value: string): Reply => {
  const labels = valueAt(req.review.request.object, '/metadata/labels');
  return patchWith(req, [{ op: 'add', path: '/metadata/labels', value: { ...(typeof labels === 'object' && labels !== null ? labels : {}), [key]: value } }]);
};
/** Appends to a counter label, so every call is a change. */
const bump = (req: ReceivedRequest, key: string): Reply => {
  const current = valueAt(req.review.request.object, `/metadata/labels/${key}`);
  return setLabel(req, key, `${typeof current === 'string' ? current : ''}x`);
};
const order = (calls: readonly { webhook: string; round: number }[]): string[] => calls.map((c) => `${c.round}:${c.webhook.split('.')[0]}`);

test('an earlier IfNeeded webhook is called again after a later change, and sees it', async () => {
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('a', ca, IF_NEEDED), webhookDoc('b', ca)])], script: (req) => (req.path === '/b' ? setLabel(req, 'b', 'done') : allow(req)) },
    async ({ api, server }) => {
      const result = await api.admit(createPod());
      assert.ok(result.allowed);
      assert.equal(order(result.calls), ['0:a', '0:b', '1:a']);
      const [first, second] = server.requestsTo('/a');
      assert.is(valueAt(second?.review.request.object, '/metadata/labels/b'), 'done', 'round 1 sees the patched object');
      assert.is.not(first?.review.request.uid, second?.review.request.uid, 'a new uid for the reinvocation');
      assert.ok('mutation.webhook.admission.k8s.io/round_1_index_0' in result.auditAnnotations);
    },
  );
});

test('reinvocationPolicy Never: no second call', async () => {
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('a', ca), webhookDoc('b', ca)])], script: (req) => (req.path === '/b' ? setLabel(req, 'b', 'done') : allow(req)) },
    async ({ api }) => assert.equal(order((await api.admit(createPod())).calls), ['0:a', '0:b']),
  );
});

test('the changer does not mark itself', async () => {
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('a', ca), webhookDoc('b', ca, IF_NEEDED)])], script: (req) => (req.path === '/b' ? setLabel(req, 'b', 'done') : allow(req)) },
    async ({ api }) => assert.equal(order((await api.admit(createPod())).calls), ['0:a', '0:b']),
  );
});

test('a no-op patch starts no round', async () => {
  await withHarness(
    {
      configs: (ca) => [makeConfig('c', [webhookDoc('a', ca, IF_NEEDED), webhookDoc('b', ca)])],
      script: (req) => (req.path === '/b' ? patchWith(req, [{ op: 'replace', path: '/spec/containers/0/image', value: 'alpine:3.12' }]) : allow(req)),
    },
    async ({ api }) => assert.equal(order((await api.admit(createPod())).calls), ['0:a', '0:b']),
  );
});

test('at most one extra round, even when every call changes the object', async () => {
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('a', ca, IF_NEEDED), webhookDoc('b', ca, IF_NEEDED)])], script: (req) => bump(req, req.path.slice(1)) },
    async ({ api }) => {
      const result = await api.admit(createPod());
      assert.ok(result.allowed);
      // Round 1: a runs (marked by b), changes, which marks b (called after the last change) for round 1 too.
      assert.equal(order(result.calls), ['0:a', '0:b', '1:a', '1:b']);
      assert.equal(valueAt(result.allowed ? result.object : undefined, '/metadata/labels'), { a: 'xx', b: 'xx' });
    },
  );
});

test('a webhook skipped in round 0 is not called in round 1, even if it matches then', async () => {
  await withHarness(
    {
      configs: (ca) => [makeConfig('c', [webhookDoc('a', ca, { ...IF_NEEDED, objectSelector: { matchLabels: { ready: 'yes' } } }), webhookDoc('b', ca)])],
      script: (req) => (req.path === '/b' ? setLabel(req, 'ready', 'yes') : allow(req)),
    },
    async ({ api, server }) => {
      const result = await api.admit(createPod());
      assert.equal(order(result.calls), ['0:b']);
      assert.is(server.requestsTo('/a').length, 0);
    },
  );
});

test('a marked webhook that no longer matches is not reinvoked', async () => {
  await withHarness(
    {
      configs: (ca) => [makeConfig('c', [webhookDoc('a', ca, { ...IF_NEEDED, objectSelector: { matchLabels: { team: 'x' } } }), webhookDoc('b', ca)])],
      script: (req) => (req.path === '/b' ? patchWith(req, [{ op: 'remove', path: '/metadata/labels/team' }]) : allow(req)),
    },
    async ({ api }) => assert.equal(order((await api.admit(createPod({ team: 'x' }))).calls), ['0:a', '0:b']),
  );
});

test('a failed-open IfNeeded webhook is reinvoked too (it was invoked)', async () => {
  let aCalls = 0;
  await withHarness(
    {
      configs: (ca) => [makeConfig('c', [webhookDoc('a', ca, { ...IF_NEEDED, failurePolicy: 'Ignore' }), webhookDoc('b', ca)])],
      script: (req) => {
        if (req.path === '/b') return setLabel(req, 'b', 'done');
        aCalls++;
        return aCalls === 1 ? { status: 500, raw: '' } : allow(req);
      },
    },
    async ({ api }) => {
      const result = await api.admit(createPod());
      assert.equal(result.calls.map((c) => `${c.round}:${c.webhook.split('.')[0]}:${c.outcome}`), ['0:a:failed-open', '0:b:allowed', '1:a:allowed']);
    },
  );
});

test.run();
