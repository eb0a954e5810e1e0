/**
 * CLUSTER-NOTES 1.12 item 14: allowed:false rejects the request whatever
 * the failurePolicy and no later webhook runs; a code below 400 becomes 400
 * (and a missing one at least 400); the message names the webhook:
 * `admission webhook "<name>" denied the request: <message|reason>` or
 * `... without explanation`. A response without `allowed` is a denial.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allow, answer } from './helpers/fake-webhook.js';
import { makeConfig, pod, POD_KIND, PODS, webhookDoc, withHarness } from './helpers/harness.js';

const test = suite('denials');

const cases: [string, Record<string, unknown>, number, string][] = [
  ['status with code and message', { allowed: false, status: { code: 403, message: 'image not allowed' } }, 403, 'admission webhook "w.example.com" denied the request: image not allowed'],
  ['code 422 is kept', { allowed: false, status: { code: 422, message: 'bad' } }, 422, 'admission webhook "w.example.com" denied the request: bad'],
  ['code 200 becomes 400', { allowed: false, status: { code: 200, message: 'nope' } }, 400, 'admission webhook "w.example.com" denied the request: nope'],
  ['no code: at least 400', { allowed: false, status: { message: 'nope' } }, 400, 'admission webhook "w.example.com" denied the request: nope'],
  ['reason when there is no message', { allowed: false, status: { code: 403, reason: 'Forbidden' } }, 403, 'admission webhook "w.example.com" denied the request: Forbidden'],
  ['no status at all', { allowed: false }, 400, 'admission webhook "w.example.com" denied the request without explanation'],
  ['allowed missing decodes as false', {}, 400, 'admission webhook "w.example.com" denied the request without explanation'],
];

for (const [name, response, code, message] of cases) {
  for (const policy of ['Fail', 'Ignore'] as const) {
    test(`${name} (${policy})`, async () => {
      await withHarness(
        {
          configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { failurePolicy: policy }), webhookDoc('later', ca)])],
          script: (req) => (req.path === '/w' ? answer(req, response) : allow(req)),
        },
        async ({ api, server }) => {
          const result = await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') });
          assert.not.ok(result.allowed, 'denied whatever the failurePolicy');
          if (!result.allowed) {
            assert.ok(result.status.code >= 400);
            assert.is(result.status.code, code);
            assert.is(result.status.message, message);
            assert.is(result.status.status, 'Failure');
          }
          assert.is(server.requestsTo('/later').length, 0, 'no later webhook runs');
          assert.is(result.calls[0]?.outcome, 'denied');
        },
      );
    });
  }
}

test('warnings reach the client on a denial too', async () => {
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('w', ca)])], script: (req) => answer(req, { allowed: false, warnings: ['why: policy'] }) },
    async ({ api }) => {
      const result = await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') });
      assert.not.ok(result.allowed);
      assert.equal(result.warningHeaders, ['299 - "why: policy"']);
    },
  );
});

test.run();
