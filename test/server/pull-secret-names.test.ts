/** readPullSecretNames: table of objects and what they name (pod spec secrets, ServiceAccount), malformed shapes ignored. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAdmissionReview } from '../../src/core/admission-review.js';
import type { AdmissionRequest } from '../../src/core/admission-review.js';
import { readPullSecretNames } from '../../src/server/pull-secret-names.js';
import { buildAdmissionReview } from '../helpers/admission-request.js';

function requestFor(object: Record<string, unknown>, namespace = 'ns'): AdmissionRequest {
  const parsed = parseAdmissionReview(buildAdmissionReview(object, { namespace }).review);
  if (parsed.kind !== 'request') throw new Error(`not a request: ${parsed.kind}`);
  return parsed.request;
}

const spec = (extra: Record<string, unknown>): Record<string, unknown> => ({ containers: [{ name: 'c', image: 'a/b:1' }], ...extra });
const pod = (s: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: s });
const deployment = (s: Record<string, unknown>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd' },
  spec: { template: { spec: s } },
});
const cronJob = (s: Record<string, unknown>) => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'c' },
  spec: { jobTemplate: { spec: { template: { spec: s } } } },
});

const cases: ReadonlyArray<readonly [string, Record<string, unknown>, readonly string[], string]> = [
  ['Pod with secrets and account', pod(spec({ imagePullSecrets: [{ name: 'a' }, { name: 'b' }], serviceAccountName: 'sa' })), ['a', 'b'], 'sa'],
  ['Pod without either', pod(spec({})), [], 'default'],
  ['Deployment template', deployment(spec({ imagePullSecrets: [{ name: 'x' }] })), ['x'], 'default'],
  ['CronJob template', cronJob(spec({ imagePullSecrets: [{ name: 'y' }], serviceAccountName: 'cron' })), ['y'], 'cron'],
  ['deprecated serviceAccount', pod(spec({ serviceAccount: 'old' })), [], 'old'],
  ['serviceAccountName wins over serviceAccount', pod(spec({ serviceAccountName: 'new', serviceAccount: 'old' })), [], 'new'],
  ['malformed entries skipped', pod(spec({ imagePullSecrets: [{}, 'str', { name: '' }, { name: 7 }, { name: 'ok' }] })), ['ok'], 'default'],
  ['imagePullSecrets not a list', pod(spec({ imagePullSecrets: { name: 'a' }, serviceAccountName: 5 })), [], 'default'],
  ['no pod spec', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }, [], 'default'],
  ['Deployment secrets at the wrong level ignored', { ...deployment(spec({})), imagePullSecrets: [{ name: 'no' }] }, [], 'default'],
];

const test = suite('readPullSecretNames');
for (const [name, object, secretNames, serviceAccountName] of cases) {
  test(name, () => {
    assert.equal(readPullSecretNames(requestFor(object, 'team-a')), { namespace: 'team-a', secretNames, serviceAccountName });
  });
}

test('no namespace: nothing to read', () => {
  const request = requestFor(pod(spec({ imagePullSecrets: [{ name: 'a' }] })));
  assert.is(readPullSecretNames({ ...request, namespace: '' }), undefined);
  const { namespace: _dropped, ...withoutNamespace } = request;
  assert.is(readPullSecretNames(withoutNamespace), undefined);
});

test('a kind that is not a workload: nothing to read', () => {
  const request = requestFor(pod(spec({ imagePullSecrets: [{ name: 'a' }] })));
  assert.is(readPullSecretNames({ ...request, kind: { group: 'example.io', version: 'v1', kind: 'Pod' } }), undefined);
});

test.run();
