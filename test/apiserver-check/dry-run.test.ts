/**
 * CLUSTER-NOTES 1.12 item 19: a dryRun request that matches a webhook whose
 * sideEffects is neither None nor NoneOnDryRun fails with 400 without
 * calling it, whatever the failurePolicy. (v1 refuses Some/Unknown on
 * create; such webhooks survive from v1beta1, hence storedFromV1beta1.)
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allow } from './helpers/fake-webhook.js';
import { makeConfig, pod, POD_KIND, PODS, webhookDoc, withHarness } from './helpers/harness.js';

const test = suite('dry run');
const request = (dryRun: boolean) => ({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p'), dryRun }) as const;

for (const sideEffects of ['Some', 'Unknown'] as const) {
  for (const failurePolicy of ['Fail', 'Ignore'] as const) {
    test(`dryRun, sideEffects ${sideEffects}, ${failurePolicy}: 400, not called`, async () => {
      await withHarness(
        { configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { sideEffects, failurePolicy })], { storedFromV1beta1: true })], script: (req) => allow(req) },
        async ({ api, server }) => {
          const result = await api.admit(request(true));
          assert.not.ok(result.allowed);
          if (!result.allowed) {
            assert.is(result.status.code, 400);
            assert.is(result.status.message, 'admission webhook "w.example.com" does not support dry run');
          }
          assert.is(server.requests.length, 0);
          assert.is(result.calls[0]?.outcome, 'dry-run-unsupported');
        },
      );
    });
  }
}

for (const sideEffects of ['None', 'NoneOnDryRun'] as const) {
  test(`dryRun, sideEffects ${sideEffects}: called with dryRun true`, async () => {
    await withHarness({ configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { sideEffects })])], script: (req) => allow(req) }, async ({ api, server }) => {
      const result = await api.admit(request(true));
      assert.ok(result.allowed);
      assert.is(server.requests[0]?.review.request.dryRun, true);
    });
  });
}

test('sideEffects Some without dryRun: called', async () => {
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { sideEffects: 'Some' })], { storedFromV1beta1: true })], script: (req) => allow(req) },
    async ({ api, server }) => {
      assert.ok((await api.admit(request(false))).allowed);
      assert.is(server.requests.length, 1);
    },
  );
});

test('dryRun and a Some webhook whose rules do not match: no error', async () => {
  const rules = [{ operations: ['CREATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }];
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { sideEffects: 'Some', rules })], { storedFromV1beta1: true })], script: (req) => allow(req) },
    async ({ api }) => assert.ok((await api.admit(request(true))).allowed),
  );
});

test.run();
