/**
 * CLUSTER-NOTES 1.12 item 1: configurations run in name order, webhooks in
 * list order, one at a time, and each gets the object as patched by the
 * ones before it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allow, patchWith } from './helpers/fake-webhook.js';
import { makeConfig, pod, POD_KIND, PODS, valueAt, webhookDoc, withHarness } from './helpers/harness.js';

const test = suite('call order');

test('configurations sorted by name, webhooks in list order, each sees the previous patch', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  await withHarness(
    {
      // Given out of order on purpose: the stand-in must sort by metadata.name.
      configs: (ca) => [
        makeConfig('b-config', [webhookDoc('b1', ca), webhookDoc('b2', ca)]),
        makeConfig('a-config', [webhookDoc('a2', ca), webhookDoc('a1', ca)]),
      ],
      script: async (req) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
        const step = req.path.slice(1);
        const seen = valueAt(req.review.request.object, '/metadata/annotations/order');
        if (typeof seen !== 'string') return patchWith(req, [{ op: 'add', path: '/metadata/annotations', value: { order: step } }]);
        return patchWith(req, [
          { op: 'test', path: '/metadata/annotations/order', value: seen },
          { op: 'replace', path: '/metadata/annotations/order', value: `${seen},${step}` },
        ]);
      },
    },
    async ({ api, server }) => {
      assert.equal(api.webhookOrder(), ['a-config/a2.example.com', 'a-config/a1.example.com', 'b-config/b1.example.com', 'b-config/b2.example.com']);
      const result = await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') });
      assert.ok(result.allowed, JSON.stringify(result));
      assert.equal(server.requests.map((r) => r.path), ['/a2', '/a1', '/b1', '/b2']);
      assert.is(valueAt(result.allowed ? result.object : undefined, '/metadata/annotations/order'), 'a2,a1,b1,b2');
      assert.is(maxInFlight, 1, 'webhooks are called serially');
      assert.equal(result.calls.map((c) => [c.webhook, c.outcome, c.changed]), [
        ['a2.example.com', 'allowed', true],
        ['a1.example.com', 'allowed', true],
        ['b1.example.com', 'allowed', true],
        ['b2.example.com', 'allowed', true],
      ]);
    },
  );
});

test('a webhook that returns no patch passes the object on untouched', async () => {
  await withHarness(
    { configs: (ca) => [makeConfig('only', [webhookDoc('a', ca), webhookDoc('b', ca)])], script: (req) => allow(req) },
    async ({ api, server }) => {
      const object = pod('p', { labels: { x: 'y' } });
      const result = await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object });
      assert.ok(result.allowed);
      assert.equal(result.allowed ? result.object : undefined, { ...object, metadata: { name: 'p', labels: { x: 'y' }, namespace: 'default' } });
      const [first, second] = server.requests;
      assert.equal(second?.review.request.object, first?.review.request.object);
    },
  );
});

test.run();
