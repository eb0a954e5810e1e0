/**
 * The REST client against the API stand-in over real HTTPS: typed errors for
 * NotFound, AlreadyExists, Conflict and Forbidden (naming the missing RBAC
 * rule), bounded retries of 500, 429 and slow answers (and none of 4xx),
 * the cluster CA as the only trust anchor, zod-checked answers, and the
 * token never in an error.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isClonerError } from '../../src/core/errors.js';
import type { ClonerError } from '../../src/core/errors.js';
import { KubeClient } from '../../src/kube/kube-client.js';
import { KubeError } from '../../src/kube/kube-error.js';
import { KubeTransport } from '../../src/kube/kube-transport.js';
import { lazyFixture } from '../helpers/fixture.js';
import { NAMESPACE, TOKEN, startKubeHarness, webhookConfiguration } from '../helpers/kube-harness.js';

const harness = lazyFixture(startKubeHarness, (h) => h.close());
const SECRETS = /\/secrets/;

async function failure(promise: Promise<unknown>): Promise<ClonerError> {
  try {
    await promise;
  } catch (error) {
    if (isClonerError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

function secret(name: string, data: Record<string, string> = { a: 'YQ==' }): { metadata: { name: string }; data: Record<string, string> } {
  return { metadata: { name }, data };
}

const crud = suite('kube client: Secrets');
crud.after(() => harness.dispose());

crud('a missing Secret is IC_ERR_NOT_FOUND with reason NotFound, asked once', async () => {
  const h = await harness.get();
  const before = h.api.requests.length;
  const error = await failure(h.client().getSecret(NAMESPACE, 'absent'));
  assert.is(error.code, 'IC_ERR_NOT_FOUND');
  assert.ok(error instanceof KubeError);
  assert.is(error.reason, 'NotFound');
  assert.is(error.status, 404);
  assert.is(h.api.requests.length - before, 1, '4xx is not retried');
});

crud('create, then create again: IC_ERR_ALREADY_EXISTS', async () => {
  const h = await harness.get();
  const kube = h.client();
  const created = await kube.createSecret(NAMESPACE, secret('twice'));
  assert.is(created.metadata.name, 'twice');
  assert.is(created.metadata.namespace, NAMESPACE);
  assert.type(created.metadata.resourceVersion, 'string');
  const error = await failure(kube.createSecret(NAMESPACE, secret('twice')));
  assert.is(error.code, 'IC_ERR_ALREADY_EXISTS');
  assert.is((error as KubeError).reason, 'AlreadyExists');
});

crud('update with the resourceVersion read succeeds; with a stale one it is IC_ERR_CONFLICT', async () => {
  const h = await harness.get();
  const kube = h.client();
  const created = await kube.createSecret(NAMESPACE, secret('versioned'));
  const updated = await kube.updateSecret(NAMESPACE, { ...created, data: { a: 'Yg==' } });
  assert.is.not(updated.metadata.resourceVersion, created.metadata.resourceVersion);
  assert.equal(h.api.secret(NAMESPACE, 'versioned')?.['data'], { a: 'Yg==' });
  const stale = await failure(kube.updateSecret(NAMESPACE, { ...created, data: { a: 'Yw==' } }));
  assert.is(stale.code, 'IC_ERR_CONFLICT');
  assert.is((stale as KubeError).reason, 'Conflict');
  assert.equal(h.api.secret(NAMESPACE, 'versioned')?.['data'], { a: 'Yg==' }, 'the stale write changed nothing');
});

crud('an update without a resourceVersion is refused before it is sent', async () => {
  const h = await harness.get();
  const before = h.api.requests.length;
  const error = await failure(h.client().updateSecret(NAMESPACE, secret('no-version')));
  assert.is(error.code, 'IC_ERR_KUBE');
  assert.match(error.message, /resourceVersion/);
  assert.is(h.api.requests.length, before);
});

crud('unknown fields of a Secret survive a read-modify-write', async () => {
  const h = await harness.get();
  h.api.putSecret(NAMESPACE, { metadata: { name: 'keeps', annotations: { note: 'x' } }, data: {}, immutable: false });
  const kube = h.client();
  const read = await kube.getSecret(NAMESPACE, 'keeps');
  await kube.updateSecret(NAMESPACE, { ...read, data: { k: 'dg==' } });
  const stored = h.api.secret(NAMESPACE, 'keeps');
  assert.is(stored?.['immutable'], false);
  assert.equal((stored?.['metadata'] as { annotations: unknown }).annotations, { note: 'x' });
});
crud.run();

const faults = suite('kube client: faults and retries');
faults.after(() => harness.dispose());

faults('a 500 once is retried and the call succeeds', async () => {
  const h = await harness.get();
  h.api.putSecret(NAMESPACE, secret('flaky'));
  h.api.inject({ method: 'GET', path: /\/secrets\/flaky$/, status: 500 });
  const before = h.api.count('GET', /\/secrets\/flaky$/);
  const read = await h.client().getSecret(NAMESPACE, 'flaky');
  assert.is(read.metadata.name, 'flaky');
  assert.is(h.api.count('GET', /\/secrets\/flaky$/) - before, 2);
});

faults('a 500 that persists fails after maxAttempts, marked temporary', async () => {
  const h = await harness.get();
  h.api.inject({ method: 'GET', path: /\/secrets\/down$/, status: 503, times: 100 });
  const error = await failure(h.client().getSecret(NAMESPACE, 'down'));
  assert.is(error.code, 'IC_ERR_KUBE');
  assert.ok(error.temporary);
  assert.is(h.api.count('GET', /\/secrets\/down$/), 4, 'bounded by maxAttempts');
});

faults('429 with Retry-After is retried', async () => {
  const h = await harness.get();
  h.api.putSecret(NAMESPACE, secret('busy'));
  h.api.inject({
    method: 'GET',
    path: /\/secrets\/busy$/,
    status: 429,
    headers: { 'retry-after': '0' },
    body: JSON.stringify({ kind: 'Status', reason: 'TooManyRequests', code: 429 }),
  });
  const read = await h.client().getSecret(NAMESPACE, 'busy');
  assert.is(read.metadata.name, 'busy');
  assert.is(h.api.count('GET', /\/secrets\/busy$/), 2);
});

faults('a slow answer hits the deadline and is retried', async () => {
  const h = await harness.get();
  h.api.putSecret(NAMESPACE, secret('slow'));
  h.api.inject({ method: 'GET', path: /\/secrets\/slow$/, delayMs: 1_000 });
  const started = Date.now();
  const read = await h.client({ requestTimeoutMs: 200 }).getSecret(NAMESPACE, 'slow');
  assert.is(read.metadata.name, 'slow');
  assert.ok(Date.now() - started < 900, 'did not wait for the slow answer');
  assert.is(h.api.count('GET', /\/secrets\/slow$/), 2);
});

faults('an answer that never comes in time is IC_ERR_TIMEOUT after bounded attempts', async () => {
  const h = await harness.get();
  h.api.inject({ method: 'GET', path: /\/secrets\/stuck$/, delayMs: 600, times: 10 });
  const error = await failure(h.client({ requestTimeoutMs: 100, backoff: { baseMs: 1, maxMs: 2, maxAttempts: 2 } }).getSecret(NAMESPACE, 'stuck'));
  assert.is(error.code, 'IC_ERR_TIMEOUT');
  assert.is(h.api.count('GET', /\/secrets\/stuck$/), 2);
});

faults('Forbidden is IC_ERR_DENIED naming the missing RBAC rule; not retried; no token in it', async () => {
  const h = await harness.get();
  h.api.deny('create', 'secrets');
  h.api.deny('patch', 'mutatingwebhookconfigurations');
  h.api.putMutatingWebhookConfiguration(webhookConfiguration());
  const kube = h.client();
  const create = await failure(kube.createSecret(NAMESPACE, secret('denied')));
  assert.is(create.code, 'IC_ERR_DENIED');
  assert.is((create as KubeError).reason, 'Forbidden');
  assert.match(create.message, /create secrets "denied" in namespace "image-cloner": forbidden/);
  assert.match(create.message, /a Role in namespace "image-cloner" with apiGroups: \[""\], resources: \["secrets"\], verbs: \["create"\]/);
  assert.not.match(create.message, /resourceNames/, 'create cannot be limited by name');
  assert.match(create.message, /cannot create resource "secrets"/, 'the server message is kept');
  assert.is(h.api.count('POST', SECRETS, 403), 1);
  const patch = await failure(kube.patchMutatingWebhookConfiguration('image-cloner', []));
  assert.is(patch.code, 'IC_ERR_DENIED');
  assert.match(
    patch.message,
    /a ClusterRole with apiGroups: \["admissionregistration.k8s.io"\], resources: \["mutatingwebhookconfigurations"\], verbs: \["patch"\], resourceNames: \["image-cloner"\]/,
  );
  for (const error of [create, patch]) assert.not.ok(error.message.includes(TOKEN));
});

faults('an answer of the wrong shape is refused (zod)', async () => {
  const h = await harness.get();
  h.api.inject({ method: 'GET', path: /\/secrets\/odd$/, status: 200, body: JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'odd' } }) });
  const error = await failure(h.client().getSecret(NAMESPACE, 'odd'));
  assert.is(error.code, 'IC_ERR_KUBE');
  assert.match(error.message, /get secrets "odd" in namespace "image-cloner": unexpected answer/);
});

faults('only the cluster CA is trusted: a server certificate from another CA is IC_ERR_TLS, not retried', async () => {
  const h = await harness.get();
  const transport = new KubeTransport({
    connection: { ...h.connection, caPem: h.pki.otherCa.certPem },
    backoff: { baseMs: 1, maxMs: 2, maxAttempts: 3 },
  });
  const before = h.api.requests.length;
  try {
    const error = await failure(new KubeClient(transport).getSecret(NAMESPACE, 'any'));
    assert.is(error.code, 'IC_ERR_TLS');
    assert.is(h.api.requests.length, before, 'no request reached the server');
  } finally {
    await transport.close();
  }
});
faults.run();
