/**
 * Self-managed certificates against the API stand-in: the first replica
 * creates the Secret and patches the caBundle, later ones reuse both, two
 * starting at once end with one Secret and one certificate, a certificate
 * that is due or for other names is replaced, a CA that is due is replaced
 * with the old one kept in the bundle, faults are retried and a missing
 * permission is named.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureServingCertificate } from '../../src/certs/ensure-serving-certificate.js';
import type { EnsureCertificateOptions, ServingCertificate } from '../../src/certs/ensure-serving-certificate.js';
import { splitPemCertificates } from '../../src/certs/inspect-certificate.js';
import { exportPrivateKeyPem, generateKeyPair } from '../../src/certs/key-pem.js';
import { NODE_WEBCRYPTO } from '../../src/certs/x509-library.js';
import { isClonerError } from '../../src/core/errors.js';
import type { KubeClient } from '../../src/kube/kube-client.js';
import type { JsonObject } from '../helpers/kube-api-stand-in.js';
import { createLogger } from '../../src/server/logger.js';
import { CONFIGURATION, NAMESPACE, SECRET, SERVICE, TOKEN, startKubeHarness, webhookConfiguration } from '../helpers/kube-harness.js';
import type { KubeHarness } from '../helpers/kube-harness.js';
import { opensslVerifies } from '../helpers/openssl-verify.js';
import { tlsHandshake } from '../helpers/tls-handshake.js';

const DAY = 86_400_000;
const SERVICE_DNS = `${SERVICE}.${NAMESPACE}.svc`;
const SECRET_PATH = /\/secrets/;
const MWC_PATH = /mutatingwebhookconfigurations/;

/** A fresh stand-in per test: each test starts from an empty cluster with our configuration applied. */
async function fresh(): Promise<KubeHarness> {
  const h = await startKubeHarness();
  h.api.putMutatingWebhookConfiguration(webhookConfiguration());
  return h;
}

function ensure(kube: KubeClient, extra: Partial<EnsureCertificateOptions> = {}): Promise<ServingCertificate> {
  return ensureServingCertificate({
    kube,
    namespace: NAMESPACE,
    secretName: SECRET,
    serviceName: SERVICE,
    webhookConfigurationName: CONFIGURATION,
    ...extra,
  });
}

function storedCaBundle(h: KubeHarness): string {
  const configuration = h.api.mutatingWebhookConfiguration(CONFIGURATION) as { webhooks: Array<{ clientConfig: { caBundle?: string } }> };
  return Buffer.from(configuration.webhooks[0]?.clientConfig.caBundle ?? '', 'base64').toString('utf8');
}

function storedData(h: KubeHarness): Record<string, string> {
  const secret = h.api.secret(NAMESPACE, SECRET);
  const data = (secret?.['data'] ?? {}) as Record<string, string>;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

const start = suite('ensureServingCertificate: start-up');
let current: KubeHarness | undefined;
start.after.each(async () => {
  await current?.close();
  current = undefined;
});

start('the first start creates the Secret and patches the caBundle; the pair verifies over TLS', async () => {
  const h = (current = await fresh());
  const result = await ensure(h.client());
  assert.is(result.secret, 'created');
  assert.is(result.caBundle, 'patched');
  const secret = h.api.secret(NAMESPACE, SECRET);
  assert.is(secret?.['type'], 'kubernetes.io/tls');
  assert.equal(Object.keys(storedData(h)).sort(), ['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
  assert.is(storedData(h)['tls.crt'], result.certPem);
  assert.is(storedCaBundle(h), result.caPem);
  assert.is(storedData(h)['ca.crt'], result.caPem);
  const handshake = await tlsHandshake({ cert: result.certPem, key: result.keyPem }, { ca: storedCaBundle(h), servername: SERVICE_DNS });
  assert.ok(handshake.ok, JSON.stringify(handshake));
  assert.ok(result.renewAt > Date.now() + 19 * DAY && result.renewAt < Date.now() + 21 * DAY, 'renewed at 2/3 of 30 days');
});

start('a second instance reuses the Secret: no new certificate, no write, no PATCH', async () => {
  const h = (current = await fresh());
  const first = await ensure(h.client());
  const writes = h.api.count('POST', SECRET_PATH) + h.api.count('PUT', SECRET_PATH) + h.api.count('PATCH', MWC_PATH);
  const second = await ensure(h.client());
  assert.is(second.secret, 'reused');
  assert.is(second.caBundle, 'unchanged');
  assert.is(second.certPem, first.certPem);
  assert.is(second.keyPem, first.keyPem);
  assert.is(h.api.count('POST', SECRET_PATH) + h.api.count('PUT', SECRET_PATH) + h.api.count('PATCH', MWC_PATH), writes);
});

start('two instances starting at once end with one Secret and the same certificate', async () => {
  const h = (current = await fresh());
  // Both read "no Secret" before either writes.
  h.api.barrier('GET', /\/secrets\//, 2);
  const [a, b] = await Promise.all([ensure(h.client()), ensure(h.client())]);
  assert.is(a.certPem, b.certPem);
  assert.is(a.keyPem, b.keyPem);
  assert.is(a.caPem, b.caPem);
  assert.equal([a.secret, b.secret].sort(), ['created', 'reused']);
  assert.is(h.api.count('POST', SECRET_PATH, 201), 1);
  assert.is(h.api.count('POST', SECRET_PATH, 409), 1, 'the loser got AlreadyExists');
  assert.is(storedData(h)['tls.crt'], a.certPem);
  assert.is(storedCaBundle(h), a.caPem);
});

start('two instances renewing at once: one update wins, the other re-reads and uses it', async () => {
  const h = (current = await fresh());
  const first = await ensure(h.client());
  const later = first.renewAt + 1;
  h.api.barrier('GET', /\/secrets\//, 2);
  const [a, b] = await Promise.all([ensure(h.client(), { now: () => later }), ensure(h.client(), { now: () => later })]);
  assert.is(a.certPem, b.certPem);
  assert.is.not(a.certPem, first.certPem);
  assert.equal([a.secret, b.secret].sort(), ['renewed', 'reused']);
  assert.is(h.api.count('PUT', SECRET_PATH, 409), 1, 'the loser got Conflict');
});

start('a 500 on the create is retried; one Secret results', async () => {
  const h = (current = await fresh());
  h.api.inject({ method: 'POST', path: SECRET_PATH, status: 500 });
  const result = await ensure(h.client());
  assert.is(result.secret, 'created');
  assert.is(h.api.count('POST', SECRET_PATH, 500), 1);
  assert.is(h.api.count('POST', SECRET_PATH, 201), 1);
  assert.is(storedData(h)['tls.crt'], result.certPem);
});

start('a missing webhook configuration is not fatal: the Secret is ready, the caBundle waits', async () => {
  const h = (current = await startKubeHarness());
  const result = await ensure(h.client());
  assert.is(result.secret, 'created');
  assert.is(result.caBundle, 'configuration-missing');
  h.api.putMutatingWebhookConfiguration(webhookConfiguration());
  const again = await ensure(h.client());
  assert.is(again.caBundle, 'patched');
  assert.is(again.certPem, result.certPem);
});

for (const [verb, resource, method, expected] of [
  ['create', 'secrets', 'POST', /verbs: \["create"\]/],
  ['get', 'secrets', 'GET', /resources: \["secrets"\], verbs: \["get"\], resourceNames: \["image-cloner-certs"\]/],
  ['patch', 'mutatingwebhookconfigurations', 'PATCH', /a ClusterRole with apiGroups: \["admissionregistration.k8s.io"\], resources: \["mutatingwebhookconfigurations"\], verbs: \["patch"\], resourceNames: \["image-cloner"\]/],
] as const) {
  start(`Forbidden to ${verb} ${resource}: a clear error naming the permission`, async () => {
    const h = (current = await fresh());
    h.api.deny(verb, resource);
    try {
      await ensure(h.client());
      assert.unreachable('should fail');
    } catch (error) {
      assert.ok(isClonerError(error));
      assert.is(error.code, 'IC_ERR_DENIED');
      assert.match(error.message, /forbidden \(HTTP 403\); the service account needs/);
      assert.match(error.message, expected);
    }
    assert.ok(h.api.count(method, /./, 403) >= 1);
  });
}
start('logs through the server logger: fields kept, never a key, a certificate or the token', async () => {
  const h = (current = await fresh());
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
  const first = await ensure(h.client(), { logger });
  await ensure(h.client(), { logger, now: () => first.renewAt });
  const text = lines.join('');
  assert.match(text, /"msg":"serving certificate ready".*"store":"image-cloner\/image-cloner-certs"/);
  assert.match(text, /"msg":"certificate renewal".*"reason":"expiring"/);
  for (const forbidden of ['PRIVATE KEY', 'BEGIN CERTIFICATE', TOKEN]) assert.not.ok(text.includes(forbidden), forbidden);
});
start.run();

const renew = suite('ensureServingCertificate: renewal');
renew.after.each(async () => {
  await current?.close();
  current = undefined;
});

renew('a serving certificate that is due is replaced from the same CA; the caBundle stays', async () => {
  const h = (current = await fresh());
  const first = await ensure(h.client());
  const notYet = await ensure(h.client(), { now: () => first.renewAt - 1 });
  assert.is(notYet.certPem, first.certPem, 'not due a moment before');
  const patches = h.api.count('PATCH', MWC_PATH);
  const due = await ensure(h.client(), { now: () => first.renewAt });
  assert.is(due.secret, 'renewed');
  assert.is.not(due.certPem, first.certPem);
  assert.is.not(due.keyPem, first.keyPem);
  assert.is(due.caPem, first.caPem, 'same CA');
  assert.is(h.api.count('PATCH', MWC_PATH), patches, 'caBundle unchanged: no PATCH');
  assert.is(storedData(h)['tls.crt'], due.certPem);
  // Made at the injected time, so checked at that time (Node's TLS would say "not yet valid").
  assert.ok(await opensslVerifies(storedCaBundle(h), due.certPem, first.renewAt, SERVICE_DNS));
  assert.not.ok(await opensslVerifies(storedCaBundle(h), due.certPem, first.renewAt, 'other.image-cloner.svc'));
});

renew('a certificate for other names is replaced', async () => {
  const h = (current = await fresh());
  const old = await ensure(h.client(), { serviceName: 'old-name' });
  const result = await ensure(h.client());
  assert.is(result.secret, 'renewed');
  assert.is.not(result.certPem, old.certPem);
  assert.is(result.caPem, old.caPem, 'the CA is kept');
  const wrong = await tlsHandshake({ cert: old.certPem, key: old.keyPem }, { ca: result.caPem, servername: SERVICE_DNS });
  assert.not.ok(wrong.ok, 'the old certificate did not name our service');
  const right = await tlsHandshake({ cert: result.certPem, key: result.keyPem }, { ca: result.caPem, servername: SERVICE_DNS });
  assert.ok(right.ok, JSON.stringify(right));
});

renew('a CA that is due is replaced; the old CA stays in the bundle so old certificates keep verifying', async () => {
  const h = (current = await fresh());
  const first = await ensure(h.client());
  const caDue = Date.now() + 250 * DAY; // a third of 365 days remains after ~243 days
  const rotated = await ensure(h.client(), { now: () => caDue });
  assert.is(rotated.secret, 'renewed');
  assert.is(rotated.caBundle, 'patched');
  const bundle = splitPemCertificates(rotated.caPem);
  assert.is(bundle.length, 2);
  assert.ok(bundle.includes(splitPemCertificates(first.caPem)[0] ?? ''), 'the old CA is kept');
  assert.is(storedCaBundle(h), rotated.caPem);
  // The replica that has not re-read the Secret yet still serves the old pair: it verifies now with the new bundle.
  const old = await tlsHandshake({ cert: first.certPem, key: first.keyPem }, { ca: storedCaBundle(h), servername: SERVICE_DNS });
  assert.ok(old.ok, JSON.stringify(old));
  assert.ok(await opensslVerifies(storedCaBundle(h), rotated.certPem, caDue, SERVICE_DNS));
  assert.not.ok(await opensslVerifies(first.caPem, rotated.certPem, caDue, SERVICE_DNS), 'signed by the new CA, not the old');
  // Once the old CA has expired, the next renewal leaves it out.
  const muchLater = Date.now() + 370 * DAY;
  const pruned = await ensure(h.client(), { now: () => muchLater });
  assert.is(splitPemCertificates(pruned.caPem).length, 1);
});

renew('a Secret whose CA key does not match its CA gets a new CA, without the old one', async () => {
  const h = (current = await fresh());
  const first = await ensure(h.client());
  const foreignKey = await exportPrivateKeyPem(NODE_WEBCRYPTO, (await generateKeyPair(NODE_WEBCRYPTO)).privateKey);
  const secret = h.api.secret(NAMESPACE, SECRET) as JsonObject;
  h.api.putSecret(NAMESPACE, { ...secret, data: { ...(secret['data'] as JsonObject), 'ca.key': Buffer.from(foreignKey).toString('base64') } });
  const result = await ensure(h.client());
  assert.is(result.secret, 'renewed');
  assert.is(splitPemCertificates(result.caPem).length, 1);
  assert.is.not(result.caPem, first.caPem);
});

renew('an update keeps the Secret\'s other keys, labels and annotations', async () => {
  const h = (current = await fresh());
  const first = await ensure(h.client());
  const secret = h.api.secret(NAMESPACE, SECRET) as JsonObject;
  const metadata = { ...(secret['metadata'] as JsonObject), annotations: { 'example.com/keep': 'me' } };
  h.api.putSecret(NAMESPACE, { ...secret, metadata, data: { ...(secret['data'] as JsonObject), extra: 'eA==' } });
  await ensure(h.client(), { now: () => first.renewAt });
  const after = h.api.secret(NAMESPACE, SECRET) as { metadata: { annotations?: unknown; labels?: unknown }; data: Record<string, string> };
  assert.equal(after.metadata.annotations, { 'example.com/keep': 'me' });
  assert.equal(after.metadata.labels, { 'app.kubernetes.io/managed-by': 'image-cloner' });
  assert.is(after.data['extra'], 'eA==');
});

renew('a Secret that another writer keeps changing: bounded rounds, then IC_ERR_CONFLICT', async () => {
  const h = (current = await fresh());
  const first = await ensure(h.client());
  h.api.beforeHandle = (method) => {
    if (method !== 'PUT') return;
    const secret = h.api.secret(NAMESPACE, SECRET);
    if (secret !== undefined) h.api.putSecret(NAMESPACE, secret, String((secret['metadata'] as JsonObject)['uid']));
  };
  try {
    await ensure(h.client(), { now: () => first.renewAt, maxAttempts: 3 });
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isClonerError(error));
    assert.is(error.code, 'IC_ERR_CONFLICT');
    assert.match(error.message, /kept changing under us \(3 attempts\)/);
  }
  assert.is(h.api.count('PUT', SECRET_PATH, 409), 3);
});

renew('a Secret made empty (tls.crt and tls.key present but empty) is filled in', async () => {
  const h = (current = await fresh());
  h.api.putSecret(NAMESPACE, { metadata: { name: SECRET }, type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } });
  const result = await ensure(h.client());
  assert.is(result.secret, 'renewed');
  assert.is(storedData(h)['tls.crt'], result.certPem);
});
renew.run();
