/**
 * PullSecretStore against the Kubernetes API stand-in over HTTPS with a real
 * KubeClient: which Secret answers for which registry, both pull secret
 * types, the ServiceAccount's secrets after the pod spec's, missing,
 * forbidden and non-pull Secrets skipped, the TTL cache (shared reads,
 * expiry, LRU bound), and transient failures not remembered.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PullSecretStore } from '../../src/kube/pull-secret-store.js';
import type { PullSecretStoreOptions } from '../../src/kube/pull-secret-store.js';
import { createLogger } from '../../src/server/logger.js';
import { startKubeHarness } from '../helpers/kube-harness.js';
import type { KubeHarness } from '../helpers/kube-harness.js';
import { dockerConfigJsonSecret, dockercfgSecret, secretReads, serveServiceAccount } from '../helpers/pull-secrets.js';

const NS = 'team-a';
const X = 'private.example:5000';
const Y = 'other.example';
const alice = { username: 'alice', password: 'pw-alice' };
const bob = { username: 'bob', password: 'pw-bob' };

let h: KubeHarness;
let lines: string[];
let clock: number;

const test = suite('PullSecretStore');
test.before.each(async () => {
  h = await startKubeHarness();
  lines = [];
  clock = 1_000_000;
});
test.after.each(async () => {
  await h.close();
});

function store(options: Partial<PullSecretStoreOptions> = {}): PullSecretStore {
  return new PullSecretStore({
    kube: h.client(),
    ttlMs: 60_000,
    logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
    now: () => clock,
    ...options,
  });
}

test('a dockerconfigjson Secret named by the pod spec answers for its registry only', async () => {
  h.api.putSecret(NS, dockerConfigJsonSecret('regcred', { [X]: alice }));
  const lookup = await store().credentialsFor({ namespace: NS, secretNames: ['regcred'], serviceAccountName: 'default' });
  assert.equal(lookup(X), { kind: 'basic', username: 'alice', password: 'pw-alice' });
  assert.is(lookup(Y), undefined, 'no credentials for another registry');
  assert.is(lookup('docker.io'), undefined);
});

test('legacy kubernetes.io/dockercfg Secrets are read too', async () => {
  h.api.putSecret(NS, dockercfgSecret('old', { [`https://${X}`]: bob }));
  const lookup = await store().credentialsFor({ namespace: NS, secretNames: ['old'], serviceAccountName: 'default' });
  assert.equal(lookup(X), { kind: 'basic', username: 'bob', password: 'pw-bob' });
});

test("the ServiceAccount's secrets follow the pod spec's; the first with an entry for the registry wins", async () => {
  h.api.putSecret(NS, dockerConfigJsonSecret('pod-cred', { [X]: alice }));
  h.api.putSecret(NS, dockerConfigJsonSecret('sa-cred', { [X]: bob, [Y]: bob }));
  serveServiceAccount(h.api, NS, 'builder', ['sa-cred']);
  const lookup = await store().credentialsFor({ namespace: NS, secretNames: ['pod-cred'], serviceAccountName: 'builder' });
  assert.equal(lookup(X), { kind: 'basic', username: 'alice', password: 'pw-alice' }, 'pod spec first');
  assert.equal(lookup(Y), { kind: 'basic', username: 'bob', password: 'pw-bob' }, 'then the ServiceAccount');
});

test('Secrets are read in the namespace asked for, never another', async () => {
  h.api.putSecret('team-b', dockerConfigJsonSecret('regcred', { [X]: alice }));
  const lookup = await store().credentialsFor({ namespace: NS, secretNames: ['regcred'], serviceAccountName: 'default' });
  assert.is(lookup(X), undefined);
  assert.is(h.api.count('GET', /\/namespaces\/team-a\/secrets\/regcred$/, 404), 1);
});

test('missing Secret, missing ServiceAccount, forbidden and non-pull Secrets are skipped; the rest still count', async () => {
  h.api.putSecret(NS, { metadata: { name: 'opaque' }, type: 'Opaque', data: { '.dockerconfigjson': 'e30=' } });
  h.api.putSecret(NS, dockerConfigJsonSecret('good', { [X]: alice }));
  const lookup = await store().credentialsFor({
    namespace: NS,
    secretNames: ['missing', 'opaque', 'good'],
    serviceAccountName: 'no-such-account',
  });
  assert.equal(lookup(X), { kind: 'basic', username: 'alice', password: 'pw-alice' });
  const skipped = lines.filter((line) => line.includes('"pull credentials skipped"'));
  assert.is(skipped.length, 3, lines.join('\n'));
  assert.ok(skipped.every((line) => line.includes('"level":"debug"')));
  assert.not.ok(lines.join('\n').includes('pw-alice'), 'no credential in the logs');

  h.api.deny('get', 'secrets');
  const denied = await store().credentialsFor({ namespace: NS, secretNames: ['good'], serviceAccountName: 'default' });
  assert.is(denied(X), undefined);
  assert.ok(lines.some((line) => line.includes('"pull credentials skipped"') && line.includes('IC_ERR_DENIED')));
});

test('cached per (namespace, name) for the TTL: concurrent and later admissions read nothing more, then it is read again', async () => {
  h.api.putSecret(NS, dockerConfigJsonSecret('regcred', { [X]: alice }));
  serveServiceAccount(h.api, NS, 'default', ['regcred']);
  const s = store();
  const workload = { namespace: NS, secretNames: [], serviceAccountName: 'default' };
  const [first, second] = await Promise.all([s.credentialsFor(workload), s.credentialsFor(workload)]);
  assert.ok(first(X) !== undefined && second(X) !== undefined);
  assert.is(secretReads(h.api), 1, 'one Secret GET for two concurrent admissions');
  assert.is(h.api.count('GET', /serviceaccounts/), 1);
  clock += 59_000;
  assert.ok((await s.credentialsFor(workload))(X) !== undefined);
  assert.is(secretReads(h.api), 1, 'still cached');
  // Rotated credentials are noticed once the TTL is over.
  h.api.putSecret(NS, dockerConfigJsonSecret('regcred', { [X]: bob }));
  clock += 1_001;
  assert.equal((await s.credentialsFor(workload))(X), { kind: 'basic', username: 'bob', password: 'pw-bob' });
  assert.is(secretReads(h.api), 2);
  assert.is(h.api.count('GET', /serviceaccounts/), 2);
});

test('a missing Secret is remembered as absent for the TTL too', async () => {
  const s = store();
  const workload = { namespace: NS, secretNames: ['missing'], serviceAccountName: 'default' };
  await s.credentialsFor(workload);
  await s.credentialsFor(workload);
  assert.is(secretReads(h.api), 1);
});

test('the cache is bounded: past maxEntries the least recently used is read again', async () => {
  h.api.putSecret(NS, dockerConfigJsonSecret('one', { [X]: alice }));
  h.api.putSecret(NS, dockerConfigJsonSecret('two', { [X]: bob }));
  const s = store({ maxEntries: 1 });
  for (const name of ['one', 'two', 'one']) await s.credentialsFor({ namespace: NS, secretNames: [name], serviceAccountName: 'default' });
  assert.is(secretReads(h.api), 3);
});

test('a transient API failure is skipped for that admission and not remembered', async () => {
  h.api.putSecret(NS, dockerConfigJsonSecret('regcred', { [X]: alice }));
  // The harness client tries 4 times: all of them fail.
  h.api.inject({ method: 'GET', path: /\/secrets\/regcred$/, status: 503, times: 4 });
  const s = store();
  const workload = { namespace: NS, secretNames: ['regcred'], serviceAccountName: 'default' };
  assert.is((await s.credentialsFor(workload))(X), undefined);
  assert.ok(lines.some((line) => line.includes('"pull credentials unavailable"') && line.includes('"level":"warn"')));
  assert.ok((await s.credentialsFor(workload))(X) !== undefined, 'read again, and this time it works');
});

test.run();
