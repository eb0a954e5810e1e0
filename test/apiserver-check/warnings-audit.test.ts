/**
 * CLUSTER-NOTES 1.12 items 20 and 22: webhook warnings reach the client as
 * `299` headers (deduplicated; cut to 256 runes once they total more than
 * 4096, the rest dropped), and audit annotations are exposed as
 * `<webhook>/<key>` next to the server's own mutation/patch/failed-open
 * keys.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allow, answer } from './helpers/fake-webhook.js';
import { makeConfig, pod, POD_KIND, PODS, webhookDoc, withHarness } from './helpers/harness.js';

const test = suite('warnings and audit annotations');
const createPod = { operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') } as const;

test('warnings of every webhook, in order, deduplicated, as 299 headers', async () => {
  await withHarness(
    {
      configs: (ca) => [makeConfig('c', [webhookDoc('a', ca), webhookDoc('b', ca)])],
      script: (req) => allow(req, { warnings: req.path === '/a' ? ['copy pending for "alpine"', 'same'] : ['same', 'from b'] }),
    },
    async ({ api }) => {
      const result = await api.admit(createPod);
      assert.ok(result.allowed);
      assert.equal(result.warnings, ['copy pending for "alpine"', 'same', 'from b']);
      assert.equal(result.warningHeaders, ['299 - "copy pending for \\"alpine\\""', '299 - "same"', '299 - "from b"']);
    },
  );
});

test('long warnings: whole while the total fits, then cut to 256 and capped', async () => {
  const long = (tag: string) => `${tag}${'x'.repeat(999)}`;
  await withHarness(
    {
      configs: (ca) => [makeConfig('c', [webhookDoc('a', ca), webhookDoc('b', ca)])],
      script: (req) => allow(req, { warnings: req.path === '/a' ? [long('1'), long('2')] : Array.from({ length: 20 }, (_, i) => long(`b${i}`)) }),
    },
    async ({ api }) => {
      const result = await api.admit(createPod);
      assert.ok(result.allowed);
      assert.ok(result.warnings.every((w) => w.length <= 256), 'cut to 256');
      assert.ok(result.warnings.length < 22, 'the rest dropped');
      assert.is(result.warnings[0], long('1').slice(0, 256));
    },
  );
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('a', ca)])], script: (req) => allow(req, { warnings: [long('only')] }) },
    async ({ api }) => {
      const result = await api.admit(createPod);
      assert.equal(result.warnings, [long('only')], 'one 1000-character warning passes whole');
    },
  );
});

test('audit annotations: <webhook>/<key>, and the server\'s own keys', async () => {
  await withHarness(
    {
      configs: (ca) => [makeConfig('c', [webhookDoc('a', ca), webhookDoc('b', ca, { failurePolicy: 'Ignore' })])],
      script: (req) => (req.path === '/a' ? allow(req, { auditAnnotations: { copied: 'true', 'bad/key': 'x' } }) : { status: 500, raw: '' }),
    },
    async ({ api }) => {
      const result = await api.admit(createPod);
      assert.ok(result.allowed);
      assert.equal(result.auditAnnotations, {
        'a.example.com/copied': 'true',
        'mutation.webhook.admission.k8s.io/round_0_index_0': JSON.stringify({ configuration: 'c', webhook: 'a.example.com', mutated: false }),
        'mutation.webhook.admission.k8s.io/round_0_index_1': JSON.stringify({ configuration: 'c', webhook: 'b.example.com', mutated: false }),
        'failed-open.mutation.webhook.admission.k8s.io/round_0_index_1': 'b.example.com',
      });
    },
  );
});

test('a denial keeps the denying webhook\'s audit annotations', async () => {
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('a', ca)])], script: (req) => answer(req, { allowed: false, auditAnnotations: { reason: 'blocked' } }) },
    async ({ api }) => {
      const result = await api.admit(createPod);
      assert.not.ok(result.allowed);
      assert.is(result.auditAnnotations['a.example.com/reason'], 'blocked');
    },
  );
});

test.run();
