/**
 * CLUSTER-NOTES 1.12 item 17 (and 1.6): a webhook slower than its
 * timeoutSeconds is a call error, raised when the time is up (not when the
 * webhook answers): 500 under Fail, the object passes unchanged under
 * Ignore. An ignored failure after the request's own deadline gives 504.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { patchWith } from './helpers/fake-webhook.js';
import { makeConfig, pod, POD_KIND, PODS, valueAt, webhookDoc, withHarness } from './helpers/harness.js';

const test = suite('timeouts');
const createPod = { operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') } as const;
const slow = (delayMs: number) => (req: Parameters<typeof patchWith>[0]) => ({ ...patchWith(req, [{ op: 'replace', path: '/spec/containers/0/image', value: 'late' }]), delayMs });

test('timeoutSeconds 1, webhook takes 3 s, Fail: 500 after about 1 s', async () => {
  await withHarness({ configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { timeoutSeconds: 1 })])], script: slow(3000) }, async ({ api, server }) => {
    const started = Date.now();
    const result = await api.admit(createPod);
    const ms = Date.now() - started;
    assert.ok(ms >= 950 && ms < 2000, `took ${ms} ms`);
    assert.is(server.requests[0]?.url, '/w?timeout=1s');
    assert.not.ok(result.allowed);
    if (!result.allowed) {
      assert.is(result.status.code, 500);
      assert.match(result.status.message, /failed calling webhook "w\.example\.com": failed to call webhook: Post "https:\/\/hook\.webhooks\.svc:443\/w\?timeout=1s": context deadline exceeded/);
    }
  });
});

test('timeoutSeconds 1, webhook takes 3 s, Ignore: the original object after about 1 s', async () => {
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { timeoutSeconds: 1, failurePolicy: 'Ignore' })])], script: slow(3000) },
    async ({ api }) => {
      const started = Date.now();
      const result = await api.admit(createPod);
      const ms = Date.now() - started;
      assert.ok(ms >= 950 && ms < 2000, `took ${ms} ms`);
      assert.ok(result.allowed);
      assert.is(valueAt(result.allowed ? result.object : undefined, '/spec/containers/0/image'), 'alpine:3.12');
      assert.is(result.calls[0]?.outcome, 'failed-open');
    },
  );
});

test('an ignored failure after the request deadline: 504', async () => {
  await withHarness(
    {
      configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { timeoutSeconds: 5, failurePolicy: 'Ignore' }), webhookDoc('later', ca)])],
      script: slow(3000),
      requestTimeoutSeconds: 0.4,
    },
    async ({ api, server }) => {
      const started = Date.now();
      const result = await api.admit(createPod);
      const ms = Date.now() - started;
      assert.ok(ms >= 350 && ms < 1500, `took ${ms} ms`);
      assert.is(server.requests[0]?.url, '/w?timeout=1s', 'the time left, rounded up');
      assert.not.ok(result.allowed);
      if (!result.allowed) {
        assert.is(result.status.code, 504);
        assert.is(result.status.reason, 'Timeout');
      }
      assert.is(server.requestsTo('/later').length, 0);
    },
  );
});

test.run();
