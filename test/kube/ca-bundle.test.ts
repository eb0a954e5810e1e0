/**
 * The caBundle patch: only webhooks that call our Service (name and
 * namespace) get it, a bundle already in place means no PATCH at all, the
 * patch is guarded by `test` ops and the resourceVersion, and a concurrent
 * change (409 Conflict, 422 from a failed test) makes it read again.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isClonerError } from '../../src/core/errors.js';
import { planCaBundlePatch } from '../../src/kube/ca-bundle-plan.js';
import { mutatingWebhookConfigurationSchema } from '../../src/kube/kube-schemas.js';
import { syncWebhookCaBundle } from '../../src/kube/webhook-ca-bundle.js';
import { applyPatch } from '../core/apply-patch.js';
import { lazyFixture } from '../helpers/fixture.js';
import type { JsonObject } from '../helpers/kube-api-stand-in.js';
import { CONFIGURATION, NAMESPACE, SERVICE, startKubeHarness, webhookConfiguration } from '../helpers/kube-harness.js';

const OURS = { namespace: NAMESPACE, name: SERVICE };
const BUNDLE = Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n').toString('base64');

function configuration(webhooks: readonly JsonObject[], resourceVersion = '7'): ReturnType<typeof mutatingWebhookConfigurationSchema.parse> {
  return mutatingWebhookConfigurationSchema.parse({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: CONFIGURATION, resourceVersion },
    webhooks,
  });
}

function hook(name: string, service: { name: string; namespace: string } | undefined, caBundle?: string): JsonObject {
  return {
    name,
    clientConfig: {
      ...(service === undefined ? { url: 'https://example.com/mutate' } : { service }),
      ...(caBundle === undefined ? {} : { caBundle }),
    },
  };
}

const plan = suite('planCaBundlePatch');

const rows: Array<[label: string, webhooks: JsonObject[], stale: string[], matched: string[]]> = [
  ['ours without a caBundle', [hook('a', OURS)], ['a'], ['a']],
  ['ours with another caBundle', [hook('a', OURS, 'b2xk')], ['a'], ['a']],
  ['ours with the same caBundle', [hook('a', OURS, BUNDLE)], [], ['a']],
  ['same name, other namespace', [hook('a', { name: SERVICE, namespace: 'elsewhere' })], [], []],
  ['other service, same namespace', [hook('a', { name: 'other', namespace: NAMESPACE })], [], []],
  ['a url webhook', [hook('a', undefined)], [], []],
  ['two of ours and a foreign one', [hook('a', OURS), hook('x', { name: 'x', namespace: 'x' }), hook('b', OURS, BUNDLE), hook('c', OURS)], ['a', 'c'], ['a', 'b', 'c']],
  ['no webhooks', [], [], []],
];
for (const [label, webhooks, stale, matched] of rows) {
  plan(label, () => {
    const before = configuration(webhooks);
    const result = planCaBundlePatch(before, OURS, BUNDLE);
    assert.equal(result.stale, stale);
    assert.equal(result.matched, matched);
    if (stale.length === 0) {
      assert.equal(result.ops, []);
      return;
    }
    // Applied by the independent applier: exactly the stale webhooks change, nothing else.
    const after = applyPatch(before, result.ops) as { webhooks: Array<{ name: string; clientConfig: { caBundle?: string } }> };
    after.webhooks.forEach((webhook, index) => {
      const expected = stale.includes(webhook.name) ? BUNDLE : (webhooks[index]?.['clientConfig'] as { caBundle?: string }).caBundle;
      assert.is(webhook.clientConfig.caBundle, expected, webhook.name);
    });
    assert.equal(result.ops[0], { op: 'replace', path: '/metadata/resourceVersion', value: '7' });
  });
}

plan('the patch fails on a configuration whose webhooks moved', () => {
  const before = configuration([hook('a', OURS)]);
  const ops = planCaBundlePatch(before, OURS, BUNDLE).ops;
  const moved = configuration([hook('new-first', { name: 'other', namespace: NAMESPACE }), hook('a', OURS)]);
  assert.throws(() => applyPatch(moved, ops), /test failed/);
});
plan.run();

const harness = lazyFixture(startKubeHarness, (h) => h.close());
const sync = suite('syncWebhookCaBundle against the API stand-in');
sync.after(() => harness.dispose());

const PEM = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';

sync('patches our webhook, leaves the foreign one; the second call sends no PATCH', async () => {
  const h = await harness.get();
  h.api.putMutatingWebhookConfiguration(webhookConfiguration());
  const kube = h.client();
  const first = await syncWebhookCaBundle({ kube, configurationName: CONFIGURATION, service: OURS, caBundlePem: PEM });
  assert.is(first.outcome, 'patched');
  assert.equal(first.patched, ['image-cloner.image-cloner.io']);
  const stored = h.api.mutatingWebhookConfiguration(CONFIGURATION) as { webhooks: Array<{ clientConfig: { caBundle?: string } }> };
  assert.is(stored.webhooks[0]?.clientConfig.caBundle, BUNDLE);
  assert.is(stored.webhooks[1]?.clientConfig.caBundle, 'b3RoZXI=', 'the foreign webhook keeps its bundle');
  const patches = h.api.count('PATCH', /mutatingwebhookconfigurations/);
  const second = await syncWebhookCaBundle({ kube, configurationName: CONFIGURATION, service: OURS, caBundlePem: PEM });
  assert.is(second.outcome, 'unchanged');
  assert.is(h.api.count('PATCH', /mutatingwebhookconfigurations/), patches, 'idempotent: no PATCH');
  const request = h.api.requests.find((r) => r.method === 'PATCH');
  assert.is(request?.contentType, 'application/json-patch+json');
});

sync('a change between our read and our patch (409 Conflict) makes it read again and succeed', async () => {
  const h = await harness.get();
  h.api.putMutatingWebhookConfiguration(webhookConfiguration());
  let raced = false;
  h.api.beforeHandle = (method) => {
    if (method !== 'PATCH' || raced) return;
    raced = true;
    // Someone else (kubectl apply) writes first: the resourceVersion moves on.
    const current = h.api.mutatingWebhookConfiguration(CONFIGURATION);
    if (current !== undefined) h.api.putMutatingWebhookConfiguration({ ...current, metadata: { ...(current['metadata'] as JsonObject), labels: { touched: 'yes' } } });
  };
  try {
    const result = await syncWebhookCaBundle({ kube: h.client(), configurationName: CONFIGURATION, service: OURS, caBundlePem: PEM });
    assert.is(result.outcome, 'patched');
  } finally {
    h.api.beforeHandle = undefined;
  }
  assert.is(h.api.count('PATCH', /mutatingwebhookconfigurations/, 409), 1);
  const stored = h.api.mutatingWebhookConfiguration(CONFIGURATION) as { metadata: { labels?: unknown }; webhooks: Array<{ clientConfig: { caBundle?: string } }> };
  assert.equal(stored.metadata.labels, { touched: 'yes' }, 'the other writer\'s change is kept');
  assert.is(stored.webhooks[0]?.clientConfig.caBundle, BUNDLE);
});

sync('a configuration that keeps changing gives up after maxAttempts with IC_ERR_CONFLICT', async () => {
  const h = await harness.get();
  h.api.putMutatingWebhookConfiguration(webhookConfiguration());
  h.api.beforeHandle = (method) => {
    if (method !== 'PATCH') return;
    const current = h.api.mutatingWebhookConfiguration(CONFIGURATION);
    if (current !== undefined) h.api.putMutatingWebhookConfiguration(current);
  };
  try {
    await syncWebhookCaBundle({ kube: h.client(), configurationName: CONFIGURATION, service: OURS, caBundlePem: PEM, maxAttempts: 3 });
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isClonerError(error));
    assert.is(error.code, 'IC_ERR_CONFLICT');
    assert.match(error.message, /kept changing under us \(3 attempts\)/);
  } finally {
    h.api.beforeHandle = undefined;
  }
});

sync('a missing configuration is IC_ERR_NOT_FOUND', async () => {
  const h = await harness.get();
  try {
    await syncWebhookCaBundle({ kube: h.client(), configurationName: 'absent', service: OURS, caBundlePem: PEM });
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isClonerError(error));
    assert.is(error.code, 'IC_ERR_NOT_FOUND');
  }
});
sync.run();
