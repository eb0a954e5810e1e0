/**
 * CLUSTER-NOTES 1.12 items 13 and 18: every malformed answer is a call
 * error (a status outside 200-206, an undecodable body, no response, the
 * wrong uid or GVK, patch and patchType not paired, an unknown patchType,
 * a patch that is not base64 of a JSON array): 500 under Fail, the object
 * unchanged under Ignore. Well-formed answers at the edges (201, 206,
 * gzip) are accepted.
 */
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { answer, patchWith } from './helpers/fake-webhook.js';
import type { ReceivedRequest, Reply } from './helpers/fake-webhook.js';
import { makeConfig, pod, POD_KIND, PODS, valueAt, webhookDoc, withHarness } from './helpers/harness.js';

const test = suite('response validation');
const OPS = [{ op: 'replace', path: '/spec/containers/0/image', value: 'mirror/alpine:3.12' }];
const b64 = (text: string): string => Buffer.from(text).toString('base64');
const review = (response: unknown, apiVersion = 'admission.k8s.io/v1', kind = 'AdmissionReview'): Reply => ({ body: { apiVersion, kind, response } });
const uidOf = (req: ReceivedRequest): string => req.review.request.uid;

const bad: [string, (req: ReceivedRequest) => Reply, RegExp][] = [
  ['HTTP 500', () => ({ status: 500, headers: { 'content-type': 'text/plain' }, raw: 'boom' }), /an error on the server \("boom"\)/],
  ['HTTP 404', () => ({ status: 404, raw: '' }), /could not find the requested resource/],
  ['HTTP 302 (redirects are not followed here)', () => ({ status: 302, headers: { location: '/elsewhere' }, raw: '' }), /status code 302/],
  ['HTTP 207, just past 206', (req) => ({ ...answer(req, { allowed: true }), status: 207 }), /status code 207/],
  ['empty body', () => ({ raw: '' }), /failed to call webhook: 0-length response/],
  ['not JSON', () => ({ raw: '<html>' }), /failed to call webhook: /],
  ['allowed of the wrong type', (req) => answer(req, { allowed: 'yes' }), /failed to call webhook: response\.allowed/],
  ['no response', () => review(undefined), /received invalid webhook response: webhook response was absent/],
  ['uid mismatch', () => review({ uid: 'not-the-uid', allowed: true }), /expected response\.uid="[0-9a-f-]{36}", got "not-the-uid"/],
  ['uid missing', () => review({ allowed: true }), /expected response\.uid="[0-9a-f-]{36}", got ""/],
  ['apiVersion v1beta1 for a v1 request', (req) => review({ uid: uidOf(req), allowed: true }, 'admission.k8s.io/v1beta1'), /expected webhook response of admission\.k8s\.io\/v1, Kind=AdmissionReview/],
  ['wrong kind', (req) => review({ uid: uidOf(req), allowed: true }, 'admission.k8s.io/v1', 'AdmissionResponse'), /Kind=AdmissionResponse/],
  ['apiVersion and kind missing', (req) => ({ body: { response: { uid: uidOf(req), allowed: true } } }), /got , Kind=$/],
  ['patch without patchType', (req) => answer(req, { allowed: true, patch: b64(JSON.stringify(OPS)) }), /response\.patch but not response\.patchType/],
  ['patchType without patch', (req) => answer(req, { allowed: true, patchType: 'JSONPatch' }), /response\.patchType but not response\.patch/],
  ['empty patchType', (req) => answer(req, { allowed: true, patchType: '', patch: b64(JSON.stringify(OPS)) }), /invalid response\.patchType of ""/],
  ['unknown patchType', (req) => answer(req, { allowed: true, patchType: 'MergePatch', patch: b64(JSON.stringify(OPS)) }), /unsupported patch type "MergePatch"/],
  ['patch that is not base64', (req) => answer(req, { allowed: true, patchType: 'JSONPatch', patch: '[{"op":"add"}]' }), /failed to call webhook: response\.patch: illegal base64 data/],
  ['patch that is not JSON', (req) => answer(req, { allowed: true, patchType: 'JSONPatch', patch: b64('[{') }), /received undecodable patch in webhook response/],
  ['patch that is a JSON object, not an array', (req) => answer(req, { allowed: true, patchType: 'JSONPatch', patch: b64(JSON.stringify(OPS[0])) }), /received undecodable patch/],
];

for (const [name, reply, reason] of bad) {
  for (const policy of ['Fail', 'Ignore'] as const) {
    test(`${name} (${policy})`, async () => {
      await withHarness({ configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { failurePolicy: policy })])], script: reply }, async ({ api, server }) => {
        const result = await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') });
        assert.is(server.requests.length, 1, 'the webhook was called');
        const call = result.calls[0];
        assert.match(call?.error ?? '', reason);
        assert.match(call?.error ?? '', /^failed calling webhook "w\.example\.com": /);
        if (policy === 'Fail') {
          assert.not.ok(result.allowed);
          if (!result.allowed) {
            assert.is(result.status.code, 500);
            assert.match(result.status.message, reason);
          }
          assert.is(call?.outcome, 'failed-closed');
        } else {
          assert.ok(result.allowed);
          if (result.allowed) assert.is(valueAt(result.object, '/spec/containers/0/image'), 'alpine:3.12', 'unchanged');
          assert.is(call?.outcome, 'failed-open');
        }
      });
    });
  }
}

const good: [string, (req: ReceivedRequest) => Reply][] = [
  ['HTTP 201', (req) => ({ ...patchWith(req, OPS), status: 201 })],
  ['HTTP 206', (req) => ({ ...patchWith(req, OPS), status: 206 })],
  ['a gzip-encoded body', (req) => ({ raw: gzipSync(JSON.stringify(patchWith(req, OPS).body)), headers: { 'content-encoding': 'gzip' } })],
  ['a text/plain content type (the decoder does not look)', (req) => ({ ...patchWith(req, OPS), headers: { 'content-type': 'text/plain' } })],
  ['unknown fields are ignored', (req) => answer(req, { allowed: true, patchType: 'JSONPatch', patch: b64(JSON.stringify(OPS)), surprise: 1 })],
];

for (const [name, reply] of good) {
  test(`accepted: ${name}`, async () => {
    await withHarness({ configs: (ca) => [makeConfig('c', [webhookDoc('w', ca)])], script: reply }, async ({ api }) => {
      const result = await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') });
      assert.ok(result.allowed, JSON.stringify(result));
      if (result.allowed) assert.is(valueAt(result.object, '/spec/containers/0/image'), 'mirror/alpine:3.12');
    });
  });
}

test('v1beta1: sent when listed first; its uid and kind are not checked', async () => {
  await withHarness(
    {
      configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { admissionReviewVersions: ['v1beta1', 'v1'] })])],
      script: () => review({ uid: 'anything', allowed: true, patch: b64(JSON.stringify(OPS)) }, 'admission.k8s.io/v1beta1'),
    },
    async ({ api, server }) => {
      const result = await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') });
      assert.is(server.requests[0]?.review.apiVersion, 'admission.k8s.io/v1beta1');
      assert.ok(result.allowed, JSON.stringify(result));
      if (result.allowed) assert.is(valueAt(result.object, '/spec/containers/0/image'), 'mirror/alpine:3.12');
    },
  );
});

test.run();
